"""Fits the rational erf(x/sqrt 2) = x P(x^2) / Q(x^2) that GELU uses
(engine/src/kernels/float/generic.rs, `erf_over_sqrt2`).

Sanathanan-Koerner iterations of linear least squares on Chebyshev nodes of [0, 5.2], then
Lawson-style reweighting towards minimax; prints the f64 fit error, the coefficients in x and the
error of a plain f32 (unfused) evaluation. Needs numpy and scipy:

    python tests/tools/fit_gelu_erf.py
"""
import numpy as np
from scipy.special import erf
XMAX=5.2
N=6000
t=np.cos(np.pi*(np.arange(N)+0.5)/N)
x=(t+1)/2*XMAX
f=erf(x/np.sqrt(2))
u=x/XMAX
np_, nq = 5, 5
Qprev=np.ones(N); lw=np.ones(N)
best=None
for it in range(60):
    cols=[u**(2*i+1) for i in range(np_)] + [-f*u**(2*i+2) for i in range(nq)]
    W=lw/np.abs(Qprev)
    A=np.stack(cols,1)*W[:,None]
    sol,*_=np.linalg.lstsq(A,f*W,rcond=None)
    a=sol[:np_]; bb=sol[np_:]
    Q=1+sum(bb[i]*u**(2*i+2) for i in range(nq))
    P=sum(a[i]*u**(2*i+1) for i in range(np_))
    err=P/Q-f
    m=np.abs(err).max()
    if best is None or m<best[0]: best=(m,a.copy(),bb.copy())
    Qprev=Q
    if it>=10: lw=lw*np.abs(err)**0.5; lw/=lw.max()
m,a,bb=best
print("max err f64", m, "Q min", Q.min())
# back to x: coefficient of x^(2i+1) = a_i / XMAX^(2i+1)
A_=[a[i]/XMAX**(2*i+1) for i in range(np_)]
B_=[bb[i]/XMAX**(2*i+2) for i in range(nq)]
print("a", ["%.10e"%v for v in A_]); print("b", ["%.10e"%v for v in B_])
xs=np.linspace(0,7,2_000_001).astype(np.float32)
def ev(xs):
    xc=np.minimum(xs,np.float32(XMAX)); x2=xc*xc
    p=np.float32(A_[-1])
    for c in A_[-2::-1]: p=p*x2+np.float32(c)
    q=np.float32(B_[-1])
    for c in list(B_[-2::-1])+[1.0]: q=q*x2+np.float32(c)
    r=xc*p/q
    print('max of P/Q before the clamp at -1', r.max())
    return np.maximum(r,np.float32(-1.0))
e=ev(xs).astype(np.float64)-erf(xs.astype(np.float64)/np.sqrt(2))
print("max err f32", np.abs(e).max(), "at", xs[np.abs(e).argmax()])
g=0.5*xs.astype(np.float64)*e
print("max gelu err", np.abs(g).max())
