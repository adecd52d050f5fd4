"""Fake-quantization study behind docs/quantization.md: which int8 scheme meets the MiniLM target.

Simulates the engine's int8 scheme in PyTorch on all-MiniLM-L6-v2 (per-row int8 weights, per-token
int8 activations, int8 word embeddings) and variants of SmoothQuant-style activation smoothing, and
prints mean/min cosine of mean-pooled sentence embeddings vs fp32 over the 51 sentences of
tests/fixtures/minilm/embeddings.json. Not run by CI; the engine's own figures come from
`cargo test --release -p electra-tests --test minilm -- --nocapture`.

The last experiments also lower attention itself, which the engine does not do: int8 Q·Kᵀ
(per-(token, head) Q and K), int8 P·V (per-row P, per-column V, or per-(token, head) V with its
scales folded into P), and bfloat16 operands for either product. They measure what moving
attention to the int8 or bf16 kernels would cost (docs/quantization.md, docs/performance.md).

Usage: MINILM=<model dir> python tests/tools/quant_sim.py   (needs torch, transformers 4.x)
       ONLY_ATTN=1 ... runs only the shipped scheme and the attention experiments.
"""
import os, math, types
import json, torch, numpy as np, sys
from transformers import BertModel
torch.set_num_threads(2)
d=os.environ['MINILM']
items=json.load(open(os.path.join(os.path.dirname(__file__), '../fixtures/minilm/embeddings.json')))['items']
def qrow(w):  # per-row symmetric int8
    s=w.abs().amax(1,keepdim=True).clamp(min=1e-12)/127
    return (w/s).round().clamp(-127,127)*s
def pool(h,m): m=m.unsqueeze(-1).float(); return (h*m).sum(1)/m.sum(1)
def run(model, its):
    outs=[]
    with torch.no_grad():
        for it in its:
            ids=torch.tensor([it['input_ids']]); am=torch.tensor([it['attention_mask']]); tt=torch.tensor([it['token_type_ids']])
            outs.append(pool(model(input_ids=ids, attention_mask=am, token_type_ids=tt).last_hidden_state, am)[0])
    return outs
ref=BertModel.from_pretrained(d, attn_implementation='eager').eval()
refs=run(ref, items)
def report(name, m):
    outs=run(m, items)
    cos=[torch.nn.functional.cosine_similarity(a,b,dim=0).item() for a,b in zip(outs,refs)]
    print(f'{name:40s} mean {np.mean(cos):.5f} min {np.min(cos):.5f}', flush=True)
def build(alpha, groups_smooth, calib, emb_q=True, skip=()):
    """int8 fake-quantized MiniLM: per-row weights, per-token activations; SmoothQuant factors
    (alpha) on the inputs of the linear groups named in groups_smooth; groups in skip stay f32."""
    m=BertModel.from_pretrained(d, attn_implementation='eager').eval()
    if emb_q: m.embeddings.word_embeddings.weight.data=qrow(m.embeddings.word_embeddings.weight.data)
    lins=[]
    for l in m.encoder.layer:
        lins += [('qkv',[l.attention.self.query,l.attention.self.key,l.attention.self.value]),('ao',[l.attention.output.dense]),('inter',[l.intermediate.dense]),('out',[l.output.dense])]
    stats={}
    hooks=[]
    for gi,(nm,group) in enumerate(lins):
        def f(mod, inp, out, gi=gi):
            x=inp[0].reshape(-1, inp[0].shape[-1]).abs().amax(0)
            stats[gi]=torch.maximum(stats.get(gi, x), x)
        hooks.append(group[0].register_forward_hook(f))
    with torch.no_grad():
        for ids in calib: m(input_ids=ids)
    for h in hooks: h.remove()
    for gi,(nm,group) in enumerate(lins):
        if nm in skip: continue
        W=torch.cat([g.weight.data for g in group],0)
        s=torch.ones(W.shape[1])
        if nm in groups_smooth:
            s=(stats[gi].clamp(min=1e-5)**alpha)/(W.abs().amax(0).clamp(min=1e-5)**(1-alpha))
        for g in group:
            g.weight.data=qrow(g.weight.data*s)/s
            def fwd(x, g=g, s=s):
                xs=x/s
                sc=xs.abs().amax(-1,keepdim=True).clamp(min=1e-12)/127
                xq=(xs/sc).round().clamp(-127,127)*sc*s
                return torch.nn.functional.linear(xq, g.weight, g.bias)
            g.forward=fwd
    return m
rng=np.random.default_rng(0)
rand_calib=[torch.tensor(rng.integers(1000,30000,(1,128))) for _ in range(4)]
sent_calib=[torch.tensor([it['input_ids']]) for it in items[::5]]
ALL=('qkv','ao','inter','out')
ONLY_ATTN=os.environ.get('ONLY_ATTN')=='1'  # skip to the attention experiments
if not ONLY_ATTN: report('baseline', build(0.5, (), rand_calib))
for a in ([] if ONLY_ATTN else [0.5, 0.7, 0.85]):
    report(f'smooth a={a} random-token calib', build(a, ALL, rand_calib))
if not ONLY_ATTN:
    for a in [0.3,0.4,0.5]:
        report(f'smooth qkv only a={a}', build(a, ('qkv',), rand_calib))
if not ONLY_ATTN:
    report('smooth qkv+inter a=0.5', build(0.5, ('qkv','inter'), rand_calib))
if not ONLY_ATTN:
    report('smooth all a=0.5, emb f32', build(0.5, ALL, rand_calib, emb_q=False))
if not ONLY_ATTN:
    report('no smooth, qkv f32', build(0.5, (), rand_calib, skip=('qkv',)))
if not ONLY_ATTN:
    report('smooth all a=0.5 sentence calib', build(0.5, ALL, sent_calib))
if not ONLY_ATTN:
    report('smooth all a=0.4', build(0.4, ALL, rand_calib))

def fq_rows(x):  # per last-dim row, symmetric int8
    s=x.abs().amax(-1,keepdim=True).clamp(min=1e-12)/127
    return (x/s).round().clamp(-127,127)*s
def fq_cols(v):  # per column over the tokens (dim -2)
    s=v.abs().amax(-2,keepdim=True).clamp(min=1e-12)/127
    return (v/s).round().clamp(-127,127)*s
def bf16(x):  # round to nearest even bfloat16 and back (the AMX attention's operands)
    return x.to(torch.bfloat16).float()
def int8_attention(mode):
    """BertSelfAttention.forward (eager, absolute positions, no cache) with Q·Kᵀ ('qk') and/or
    P·V ('pv') fake-quantized."""
    def forward(self, hidden_states, attention_mask=None, head_mask=None, encoder_hidden_states=None, past_key_values=None, output_attentions=False, cache_position=None):
        B,T,_=hidden_states.shape; H=self.num_attention_heads; D=self.attention_head_size
        q,k,v=[f(hidden_states).view(B,T,H,D).transpose(1,2) for f in (self.query,self.key,self.value)]
        if mode in ('bf16', 'bf16qk'): q,k=bf16(q),bf16(k)
        if mode in ('qk', 'qkpv', 'qkpvtok'): q,k=fq_rows(q),fq_rows(k)
        if mode in ('bf16x3', 'bf16x3qk'):  # split each operand into bf16 high + low parts
            qh,kh=bf16(q),bf16(k); ql,kl=bf16(q-qh),bf16(k-kh)
            s=(qh@kh.transpose(-1,-2)+qh@kl.transpose(-1,-2)+ql@kh.transpose(-1,-2))/math.sqrt(D)
        else:
            s=q@k.transpose(-1,-2)/math.sqrt(D)
        if attention_mask is not None: s=s+attention_mask
        p=torch.softmax(s,-1)
        if mode in ('bf16', 'bf16pv', 'bf16x3'): p,v=bf16(p),bf16(v)
        if mode in ('pv', 'qkpv'): p,v=fq_rows(p),fq_cols(v)
        if mode in ('pvtok', 'qkpvtok'):  # V per (token, head), its scales folded into P
            sv=v.abs().amax(-1,keepdim=True).clamp(min=1e-12)/127
            v8=(v/sv).round().clamp(-127,127)
            p=fq_rows(p*sv.transpose(-1,-2)); v=v8
        return (p@v).permute(0,2,1,3).reshape(B,T,H*D), p
    return forward
report('shipped (qkv+inter a=0.5)', build(0.5, ('qkv','inter'), rand_calib))
for mode in ([] if ONLY_ATTN else ['qk', 'pv', 'qkpv']) + ['bf16', 'bf16qk', 'bf16pv', 'bf16x3', 'bf16x3qk', 'pvtok', 'qkpvtok'] + (['qk', 'pv', 'qkpv'] if ONLY_ATTN else []):
    m=build(0.5, ('qkv','inter'), rand_calib)
    for l in m.encoder.layer:
        l.attention.self.forward=types.MethodType(int8_attention(mode), l.attention.self)
    report(f'shipped (qkv+inter a=0.5), int8 attn {mode}', m)
