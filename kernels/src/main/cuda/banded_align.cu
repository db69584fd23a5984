/*
 * banded_align.cu — banded alignment of many sequence pairs on the GPU (SPEC sections 1-2):
 * log-semiring forward-backward (log Z and the marginal of every step) and max-semiring
 * Viterbi (best weight, start, end and the path's steps), global and local modes, any band.
 *
 * DESIGN
 *
 * Launch: one thread block per pair; a launch holds many pairs (the host packs them under a
 * device-memory budget), so small pairs fill the GPU with blocks and a long pair keeps one SM
 * busy. The block walks the anti-diagonals t = i + j of its pair in order; the cells of one
 * anti-diagonal are independent, so thread r of the block takes rows lo(t) + r,
 * lo(t) + r + blockDim.x, ... and the block synchronises once per anti-diagonal. The host picks
 * the block size (the widest anti-diagonal in whole warps, at most 256 by default) and, for
 * forward-backward, one of three variants: banded_forward_backward_prefetch loads each thread's
 * next cell's inputs a step ahead (more registers, less exposed latency), used when all blocks
 * of a launch are resident at once anyway; banded_forward_backward otherwise; and, when even
 * twice the launch's blocks are all resident (few long pairs: the GPU is mostly idle and each
 * step waits on the one before), banded_alpha_beta then banded_marginals, which run alpha and
 * beta of a pair side by side in two blocks and the marginals in many (see SPLIT below).
 *
 * Layout: scores and marginals stay in the layout the pair arrived in (dense row-major or band
 * layout, SPEC section 2); along anti-diagonal t the flat index of cell (i, t - i) is
 * 3 * (i * rowStep + t + offset) in both, so one formula serves both layouts. Only cells in the
 * band are visited: work and memory follow the band's cells. Per-cell scratch (alpha, or the
 * Viterbi back-pointer) is stored in compact anti-diagonal order: anti-diagonal t starts at
 * base(t) = sum of the cell counts of anti-diagonals before it, which each thread keeps as a
 * running sum, so no index table is needed.
 *
 * Rolling state: the anti-diagonals t-1 and t-2 of alpha (forward) and of the three backward
 * flows (backward) live in shared memory, indexed by (row + 1) mod L, where L exceeds the
 * widest anti-diagonal plus its two neighbours; slots just outside each anti-diagonal's rows
 * are sentinels (-inf for alpha, 0 for flows), so inner loops have no boundary tests. When L
 * is too large for shared memory the host passes a global scratch area instead, one slice a
 * block (the same source, compiled apart for each memory: see ROLL SPACE).
 * SENTINELS: one barrier per anti-diagonal. Anti-diagonal t's buffer is written only while t
 * is computed (its rows' slots, and its two sentinel slots, written at the same time by thread
 * 0: L exceeds the width plus two, so they never meet a row's slot), and read only while t + 1
 * and t + 2 are; it last held t - 3, read while t - 1 was computed, before the barrier that
 * ends t - 1. So nothing needs a second barrier between computing a diagonal and marking it.
 *
 * Forward (log): alpha(c) = LSE over the terms x_k = pred_k + S_k (the start term S_1 in local
 * mode; global mode seeds a virtual predecessor (-1, -1) with alpha 0), shifted by their
 * maximum. A branch-free compare-and-select network splits the terms into the largest and the
 * rest, so the largest costs no exp: max + log1p(sum of exp(rest - max)), two exps a cell in
 * global mode, three in local, with the kernels' own branch-free exp and log1p (EXP, LOG).
 * Cost (sm_90 SASS counted along the common path with the rolling state in shared memory, not
 * yet timed on a GPU; bin/kernel-sass counts loops): about 156 warp instructions a cell
 * forward (190 in local mode) and 195 backward (270), of which about 40% are float64 (the
 * backward's normalised weights, see weight_of, have since added about a dozen: its loop's
 * static count went from 376 to 400, registers unchanged), plus
 * about 80 a warp an anti-diagonal for the walk's bookkeeping (every warp of the block pays
 * it, cells or not: the reason for the host's opt-in "fill" block sizes); so the kernel is
 * bound by instruction issue (and, for few long pairs, by the latency of each anti-diagonal
 * step), not by float64 throughput or by memory at 52 B/cell.
 * Every instruction a cell matters: no integer division per cell (RING SLOTS), compare-and-select
 * rather than fmax/fmin, no library log1p (its two paths cost 190-270 forward, 270 where a
 * warp's lanes split between them, as they often do).
 * Alpha of every cell is written once to global memory (8 bytes a cell).
 *
 * Backward without beta: the gradient of LSE is its softmax, so the marginals follow by linear
 * back-propagation. gamma(c), the probability that the path passes through c, is end(c) plus
 * the flows into c's successors that come from c; the flow of step k into c is
 * gamma(c) * w_k(c) with w_k(c) the softmax of c's terms recomputed from the alphas and the
 * scores: exp(x_k - max) over their sum, the largest's 1 over it, so one exp fewer than terms
 * and weights that sum to 1 at any magnitude (see weight_of).
 * end(c) is 1 at the last cell (global) or exp(alpha(c) - max alpha) / sum (local: that sum,
 * over every cell, gives log Z). The flows are the marginals. Memory traffic: scores read twice
 * (24 B), alpha written and read (16 B), marginals written (12 B): about 52 bytes a cell.
 *
 * Numerics: alpha, log Z, gamma and flows are float64, every exponent is of a non-positive
 * difference, and the weights and ends are normalised where they are made, as the CPU engine's
 * are, so scores of any magnitude (the seed example has log Z ~ 2.2e8) keep the marginals a
 * distribution and the flows conserved; only the marginals are rounded to float32, when
 * written. (The split variant's exponent alpha + S + beta - log Z is non-positive only up to
 * rounding, so it is clamped at 0, and local mode's two-term sum at 1; it loses what alpha's and
 * beta's rounding lose, so the host takes it only for pairs whose scores keep that small: see
 * SPLIT.)
 *
 * Viterbi: the same walk with max instead of LSE, one back-pointer byte per cell; predecessors
 * are compared in the order M (start before diagonal in local mode), I, D and a later one wins
 * only when strictly greater, so ties break M, I, D as SPEC asks. Thread 0 then traces the path
 * back from the end (the last cell, or in local mode the best cell, first in row-major order
 * among equals) and writes its steps, end first, reading the back-pointers from windows the
 * whole block copies into shared memory (see TRACEBACK), not one dependent global load a step.
 */

#include <math_constants.h>
#include <limits.h>

#define NEG_INF (-CUDART_INF)

/* The block's dynamic shared memory (a CPU emulator used by the tests defines its own). */
#ifndef DYNAMIC_SHARED
#define DYNAMIC_SHARED(type, name) extern __shared__ type name[]
#endif

/* Per-pair descriptor: DESC_FIELDS 64-bit integers a pair, in this order. */
enum {
    D_N, D_M, D_DIAG_LO, D_DIAG_HI,   /* grid and band used (clipped to the grid) */
    D_S_ROW, D_S_OFF, D_S_BASE,       /* score index of (i, t-i): S_BASE + 3 * (i * S_ROW + t + S_OFF) */
    D_O_ROW, D_O_OFF, D_O_BASE,       /* marginal index, same form */
    D_CELL_BASE,                      /* first compact cell of the pair in alpha / back-pointer scratch */
    D_LOCAL,                          /* 1 for local mode */
    D_ROLL_LEN,                       /* L: rolling slots per anti-diagonal */
    D_PATH_BASE,                      /* first byte of the pair's path buffer (n + m bytes) */
    DESC_FIELDS
};

/* Anti-diagonals per traceback window of banded_viterbi (see TRACEBACK). */
#define TRACE_W 64

/* Viterbi back-pointers and path steps. */
enum { BP_NONE = 0, BP_LEFT = 1, BP_DIAG = 2, BP_UP = 3, BP_START = 4 };

__device__ __forceinline__ int row_lo(int t, int m, int diag_hi) {
    int a = t - (m - 1);
    int b = (t - diag_hi + 1) >> 1;   /* ceil((t - diag_hi) / 2), arithmetic shift floors */
    return max(max(0, a), b);
}

__device__ __forceinline__ int row_hi(int t, int n, int diag_lo) {
    return min(min(n - 1, t), (t - diag_lo) >> 1);
}

/*
 * Sorting networks over the step terms of one cell: the largest term (returned) and the rest,
 * by compare-and-select only (one comparison, two selects a stage: a third of what fmax and
 * fmin cost for doubles), so the lanes of a warp never diverge on which step wins. The outputs
 * are always a permutation of the inputs. (A NaN term, from a bad score, may then come out
 * anywhere; such a pair is flagged while its scores are read and its results are discarded.)
 */
__device__ __forceinline__ double larger(double a, double b) { return a > b ? a : b; }

__device__ __forceinline__ double max_rest3(double a, double b, double c, double *p, double *q) {
    const bool ab = a > b;
    const double m1 = ab ? a : b;
    *p = ab ? b : a;
    const bool mc = m1 > c;
    *q = mc ? c : m1;
    return mc ? m1 : c;
}

__device__ __forceinline__ double max_rest4(double a, double b, double c, double d,
                                            double *p, double *q, double *r) {
    const bool ab = a > b;
    const double m1 = ab ? a : b;
    *p = ab ? b : a;
    const bool mc = m1 > c;
    const double m2 = mc ? m1 : c;
    *q = mc ? c : m1;
    const bool md = m2 > d;
    *r = md ? d : m2;
    return md ? m2 : d;
}

/*
 * RING SLOTS: row x of an anti-diagonal lives in slot (x + 1) mod L of its rolling buffer, but
 * no walk takes a modulo per cell (an integer division is some twenty instructions on a GPU):
 * each keeps lo_slot = lo(t) mod L, moved by lo's change from one anti-diagonal to the next
 * (0 or 1), and the slot of row i - 1 is lo_slot + (i - lo) wrapped once, as i - lo < L.
 */
__device__ __forceinline__ int wrap_slot(int x, int L) {
    return x >= L ? x - L : x < 0 ? x + L : x;
}

/* The slot of row i - 1 on an anti-diagonal whose first row lo is in slot lo_slot - 1. */
__device__ __forceinline__ int row_slot(int lo_slot, int i, int lo, int L) {
    const int x = lo_slot + (i - lo);   /* in [0, 2L): never below zero */
    return x >= L ? x - L : x;
}

/*
 * EXP: exp(x) for the kernels' exponents, which are all differences shifted by a maximum, so
 * x <= 0 (up to rounding; it is accurate for any x <= 700, and undefined above 709, which no
 * exponent here reaches: +inf scores are flagged first). Unlike the library exp it has no
 * paths for overflow, subnormal results and NaN, which keeps far fewer registers live
 * (banded_forward_backward: 72 instead of 96 on sm_90, so 4 blocks of 224 threads fit an SM
 * instead of 3) at slightly fewer instructions a cell (sm_90 SASS, forward + backward: 474
 * against 484). x = k ln2 + r with |r| <= ln2/2 (Cody-Waite: ln2 in a high part whose
 * products with k are exact and a low part), exp(r) = 1 + r + r^2 Q(r) with Q a degree-9
 * polynomial fitted to (exp(r) - 1 - r)/r^2 on [-ln2/2, ln2/2] (mpmath.chebyfit: 2e-17
 * relative, where the degree-10 Taylor series it replaced left 2e-16 and took one constant
 * and one multiply-add more), in Horner form with fused multiply-adds, and 2^k added to the
 * exponent bits. Within a few ulps of
 * the correctly rounded result (tested against the C library in the CPU emulator, which runs this
 * same code with the same fused operations). Below -708 (and for -inf) it returns 0, where exp is
 * under 1e-307: such a term is far below float64 resolution of the maximum it is summed with.
 */
/* EXP's constants: ln2 high and low, 1/ln2, then Q's coefficients from the highest degree
   down (in constant memory, which the compiler reads with uniform loads instead of building
   each from two 32-bit moves). */
__constant__ double EXP_C[13] = {
    6.93147180369123816490e-01, 1.90821492927058770002e-10, 1.4426950408889634074,
    2.510038549551032e-08, 2.7620088445409746e-07, 2.7557268459997064e-06, 2.4801521295954376e-05,
    0.00019841269863053618, 0.0013888888917213717, 0.008333333333330062, 0.04166666666662413,
    0.16666666666666669, 0.5000000000000001};

__device__ __forceinline__ double exp_nonpositive(double x) {
    if (!(x >= -708.0)) {
        return 0.0;
    }
    const double kd = rint(x * EXP_C[2]);   /* x / ln2, to the nearest integer */
    const double r = fma(kd, -EXP_C[1], fma(kd, -EXP_C[0], x));
    double q = EXP_C[3];
#pragma unroll
    for (int c = 4; c < 13; c++) {
        q = fma(q, r, EXP_C[c]);
    }
    q = fma(q, r, 1.0);
    q = fma(q, r, 1.0);
    /* 2^k: k >= -1021 here and q >= 0.7, so the result stays a normal number. (Unsigned, so
       that garbage in, such as +inf from a pair with bad scores whose results are discarded,
       wraps as on the GPU instead of being undefined in the CPU emulator's C++.) */
    return __longlong_as_double(
            (long long)((unsigned long long)__double_as_longlong(q) + ((unsigned long long)(long long)kd << 52)));
}

/*
 * LOG: log(1 + s) for the sums of the other terms' weights in lse3/lse4, where 0 <= s <= 3 (up
 * to rounding). The library log1p has two paths (a division-based series near 0 and a full log
 * above), which lanes of a warp take by their own s, so a warp often ran both; this has one
 * path and no branch. y = 1 + s = 2^k f with f in [sqrt(1/2), sqrt(2)) (k in {0, 1, 2}, from
 * y's exponent bits with the split moved to sqrt(1/2)); log f = 2 atanh(u) with
 * u = (f - 1) / (f + 1), |u| <= 0.1716, as 2u + 2u w P(w), w = u^2, where P is a degree-6
 * polynomial fitted to (atanh(u)/u - 1)/w on [0, 0.02944] (mpmath.chebyfit; its error adds
 * under 2e-18 to the result; the Taylor series would need degree 9, and three constants more
 * cost about 25 instructions an anti-diagonal a warp in uniform-register shuffles). The
 * division is the hardware's reciprocal approximation, one Newton step and one correction of
 * the quotient (error far below float64's). Absolute error
 * within a few 2^-53 (tested against the C library in the CPU emulator): the rounding of 1 + s
 * drops what of s lies below 2^-53, which is below float64 resolution of the maximum the
 * result is added to anyway (the CPU engine's log is accurate to the same absolute degree).
 */
/* LOG's constants: ln 2, then P's coefficients from the highest degree down. */
__constant__ double LOG_C[8] = {
    6.93147180559945309417e-01, 0.07308292712444311, 0.07665855309105386, 0.09091444727837474,
    0.11111105565129939, 0.14285714313001635, 0.19999999999949722, 0.3333333333333335};

/* A reciprocal good to about 2^-20 relative (the CPU emulator defines a far coarser one). */
#ifdef __CUDACC__
__device__ __forceinline__ double rcp_approx(double b) {
    double r;
    asm("rcp.approx.ftz.f64 %0, %1;" : "=d"(r) : "d"(b));
    return r;
}
#endif

__device__ __forceinline__ double log1p_bounded(double s) {
    const double y = 1.0 + s;
    const long long bits = __double_as_longlong(y) + (0x3ff00000LL - 0x3fe6a09eLL) * (1LL << 32);
    const double kd = (double)(int)(bits >> 52) - 1023.0;   /* (the shifted exponent, made exact in double) */
    const double f = __longlong_as_double((bits & 0x000fffffffffffffLL) + 0x3fe6a09eLL * (1LL << 32));
    const double a = f - 1.0, b = f + 1.0;   /* a exact: f is within a factor 2 of 1 */
    double r = rcp_approx(b);
    r = fma(r, fma(-b, r, 1.0), r);
    double u = a * r;
    u = fma(r, fma(-b, u, a), u);
    const double w = u * u;
    double q = LOG_C[1];
#pragma unroll
    for (int c = 2; c < 8; c++) {
        q = fma(q, w, LOG_C[c]);
    }
    const double u2 = u + u;
    return fma(kd, LOG_C[0], fma(u2 * w, q, u2));
}

/* log(exp a + exp b + exp c): the largest term contributes exp(0) = 1, so two exps, not three. */
__device__ __forceinline__ double lse3(double a, double b, double c) {
    double p, q;
    const double mx = max_rest3(a, b, c, &p, &q);
    return mx == NEG_INF ? NEG_INF : mx + log1p_bounded(exp_nonpositive(p - mx) + exp_nonpositive(q - mx));
}

/* The same for four terms (local mode's start term): three exps. */
__device__ __forceinline__ double lse4(double a, double b, double c, double d) {
    double p, q, r;
    const double mx = max_rest4(a, b, c, d, &p, &q, &r);
    return mx == NEG_INF ? NEG_INF
                         : mx + log1p_bounded(exp_nonpositive(p - mx) + exp_nonpositive(q - mx) + exp_nonpositive(r - mx));
}

/*
 * 1 / s for 1 <= s <= 4: the hardware's reciprocal approximation and two Newton steps
 * (2^-20 -> 2^-40 -> below float64's 2^-53; the CPU emulator's coarser 2^-14 ends at 2^-56).
 */
__device__ __forceinline__ double reciprocal_small(double s) {
    double r = rcp_approx(s);
    r = fma(r, fma(-s, r, 1.0), r);
    return fma(r, fma(-s, r, 1.0), r);
}

/*
 * The softmax weight of term x among the terms of a cell, from the rest's (p, q, r) exps
 * shifted by the largest term and divided by their sum (ep, eq, er) and the largest's, 1 over
 * that sum (emax): equal terms get equal weights whichever copy the network kept as the
 * largest, and the weights sum to 1 within a few ulps however large alpha is, as the CPU
 * engine's do. (Weights exp(x - alpha) from the rounded alpha, with the largest's 1 minus the
 * rest, summed to 1 + 2 exp(p - alpha) - 1 at an exact tie: off by alpha's rounding, 1e-6 at
 * alpha ~ 5e9, an error that compounds along a path of ties, 1e-5 on a 2500 x 2500 pair of
 * constant 1e6 scores, and weights of 1 and 1 where alpha no longer resolved log 2. A
 * library user's review found it; the reciprocal costs about seven instructions a cell.)
 * A -inf term with a finite largest is always in the rest, with weight exp(-inf) = 0.
 */
__device__ __forceinline__ double weight_of(double x, double p, double ep, double q, double eq,
                                            double r, double er, double emax) {
    return x == p ? ep : x == q ? eq : x == r ? er : emax;
}

__device__ __forceinline__ double weight_of3(double x, double p, double ep, double q, double eq, double emax) {
    return x == p ? ep : x == q ? eq : emax;
}

/*
 * Bad input found while reading (SPEC: NaN or +inf inside the band): the lowest flat index of a
 * bad score in the pair's array, kept with atomicMin in *bad (INT_MAX: none), so the host
 * reports the same score a row-major scan would, without scanning the scores itself.
 */
__device__ __forceinline__ void flag_bad_scores(int *bad, int q, double s0, double s1, double s2) {
    if (!(s0 < CUDART_INF && s1 < CUDART_INF && s2 < CUDART_INF)) {
        atomicMin(bad, !(s0 < CUDART_INF) ? q : !(s1 < CUDART_INF) ? q + 1 : q + 2);
    }
}

/* Block-wide max and sum for local mode's log Z; 'red' holds blockDim.x doubles. */
__device__ double block_reduce(double v, double *red, bool is_max) {
    red[threadIdx.x] = v;
    __syncthreads();
    for (unsigned s = 1; s < blockDim.x; s <<= 1) {   /* any block size */
        if (threadIdx.x % (2 * s) == 0 && threadIdx.x + s < blockDim.x) {
            double o = red[threadIdx.x + s];
            red[threadIdx.x] = is_max ? fmax(red[threadIdx.x], o) : red[threadIdx.x] + o;
        }
        __syncthreads();
    }
    double r = red[0];
    __syncthreads();
    return r;
}

/* What the backward step of cell (t, i) reads from global memory: its scores, its alpha and its
   predecessors' (left and up on anti-diagonal t-1, diagonal on t-2). */
struct BackwardInputs {
    float s0, s1, s2;
    double a, aL, aU, aD;
};

/* Rows lo..hi of anti-diagonal t and base, its first cell in the compact alpha order. */
struct Diagonal {
    int lo, hi, base;
};

__device__ __forceinline__ BackwardInputs load_backward(const float *pair_scores, int s_row, int s_off,
                                                        const double *alpha, int t, int i, bool local,
                                                        Diagonal c0, Diagonal c1, Diagonal c2) {
    BackwardInputs in;
    const int j = t - i;
    const float *s = pair_scores + 3 * (i * s_row + t + s_off);
    in.s0 = s[0]; in.s1 = s[1]; in.s2 = s[2];
    in.a = alpha[c0.base + (i - c0.lo)];
    in.aL = (j >= 1 && i >= c1.lo && i <= c1.hi) ? alpha[c1.base + (i - c1.lo)] : NEG_INF;
    in.aU = (i >= 1 && i - 1 >= c1.lo && i - 1 <= c1.hi) ? alpha[c1.base + (i - 1 - c1.lo)] : NEG_INF;
    in.aD = (i >= 1 && j >= 1 && i - 1 >= c2.lo && i - 1 <= c2.hi) ? alpha[c2.base + (i - 1 - c2.lo)] : NEG_INF;
    if (!local && t == 0) {
        in.aD = 0.0;   /* the virtual predecessor of the start */
    }
    return in;
}

/* Anti-diagonal t's rows, given the base of the anti-diagonal after it (walking down). */
__device__ __forceinline__ Diagonal diagonal_before(int t, int n, int m, int diag_lo, int diag_hi, int next_base) {
    Diagonal g;
    if (t < 0) {
        g.lo = 0; g.hi = -1; g.base = next_base;
    } else {
        g.lo = row_lo(t, m, diag_hi); g.hi = row_hi(t, n, diag_lo);
        g.base = next_base - (g.hi - g.lo + 1);
    }
    return g;
}

/* One pair as the kernels see it, read from its descriptor. Within a pair every index fits an
   int (the host keeps a pair's scores and marginals below 2^31 floats each), so only the
   pair's base pointers are 64-bit: fewer registers, more resident blocks. */
struct PairView {
    int n, m, diag_lo, diag_hi;
    int s_row, s_off, o_row, o_off;
    int L, last;
    bool local;
    const float *scores;
    float *marginals;
    long long cell_base;
};

__device__ __forceinline__ PairView pair_view(const long long *desc, int pair, const float *scores, float *marginals) {
    const long long *d = desc + (long long)pair * DESC_FIELDS;
    PairView p;
    p.n = (int)d[D_N]; p.m = (int)d[D_M];
    p.diag_lo = (int)d[D_DIAG_LO]; p.diag_hi = (int)d[D_DIAG_HI];
    p.s_row = (int)d[D_S_ROW]; p.s_off = (int)d[D_S_OFF];
    p.o_row = (int)d[D_O_ROW]; p.o_off = (int)d[D_O_OFF];
    p.L = (int)d[D_ROLL_LEN];
    p.last = p.n + p.m - 2;
    p.local = d[D_LOCAL] != 0;
    p.scores = scores + d[D_S_BASE];
    p.marginals = marginals ? marginals + d[D_O_BASE] : marginals;
    p.cell_base = d[D_CELL_BASE];
    return p;
}

__device__ __forceinline__ int diagonal_cells(const PairView &p, int t) {
    return row_hi(t, p.n, p.diag_lo) - row_lo(t, p.m, p.diag_hi) + 1;
}

/* The cells of anti-diagonals 0 .. t_end - 1 (the compact base of t_end), summed by the whole
   block; 'red' as in block_reduce. */
__device__ int cells_before(const PairView &p, int t_end, double *red) {
    double part = 0.0;
    for (int u = threadIdx.x; u < t_end; u += blockDim.x) {
        part += diagonal_cells(p, u);
    }
    return (int)block_reduce(part, red, false);   /* exact: a pair has fewer than 2^31 cells */
}

/*
 * The forward pass of one pair (see Forward above) with the block's rolling alpha a_roll
 * (3 x L doubles). Writes alpha, log_z[pair] and bad_score[pair]; sets *cells to the pair's
 * band cells and *lz to log Z, and in local mode *end_shift and *end_scale to the largest alpha
 * and 1 over the sum of exp(alpha - that), which give the backward pass its ends. Returns false when the pair stops here: a bad score (log_z left
 * unwritten; the host reports the score) or no path of finite weight (log_z = -inf).
 *
 * PREFETCH: each thread loads what its first cell of the next anti-diagonal reads from global
 * memory before computing the current one, so that load's latency overlaps the arithmetic and
 * the barrier instead of following them. It costs registers (fewer resident blocks), so it
 * pays where blocks are few and latency is exposed; the host picks.
 */
template <bool PREFETCH>
__device__ __forceinline__ bool forward_pass(const PairView &p, int pair, double *alpha, double *a_roll,
                                             double *red, double *log_z, int *bad_score, int *cells, double *lz_out,
                                             double *end_shift, double *end_scale) {
    const int n = p.n, m = p.m, diag_lo = p.diag_lo, diag_hi = p.diag_hi;
    const int s_row = p.s_row, s_off = p.s_off, L = p.L, last = p.last;
    const bool local = p.local;
    const float *pair_scores = p.scores;
    for (int k = threadIdx.x; k < 3 * L; k += blockDim.x) {
        a_roll[k] = NEG_INF;
    }
    __syncthreads();
    if (!local && threadIdx.x == 0) {
        a_roll[1 * L + 0] = 0.0;   /* virtual predecessor (-1, -1): row -1 -> slot 0 of anti-diagonal -2 */
    }
    __syncthreads();

    int base = 0;
    int lo_prev = 0, lo_slot = 0;   /* lo(0) = 0 (RING SLOTS) */
    int o_cur = 0, o_prev = 2 * L, o_prev2 = L;   /* buffers of t, t - 1, t - 2: (t mod 3) * L, rotated */
    double best = NEG_INF;
    float p0 = 0.0f, p1 = 0.0f, p2 = 0.0f;   /* PREFETCH: scores of this thread's first cell of t */
    if (PREFETCH && (int)threadIdx.x <= row_hi(0, n, diag_lo) - row_lo(0, m, diag_hi)) {
        const float *s = pair_scores + 3 * (row_lo(0, m, diag_hi) * s_row + s_off);
        p0 = s[0]; p1 = s[1]; p2 = s[2];
    }
    for (int t = 0; t <= last; t++) {
        const int lo = row_lo(t, m, diag_hi), hi = row_hi(t, n, diag_lo);
        double *cur = a_roll + o_cur;
        const double *prev = a_roll + o_prev;
        const double *prev2 = a_roll + o_prev2;
        float q0 = 0.0f, q1 = 0.0f, q2 = 0.0f;
        if (PREFETCH && t < last) {
            const int i = row_lo(t + 1, m, diag_hi) + threadIdx.x;
            if (i <= row_hi(t + 1, n, diag_lo)) {
                const float *s = pair_scores + 3 * (i * s_row + t + 1 + s_off);
                q0 = s[0]; q1 = s[1]; q2 = s[2];
            }
        }
        lo_slot = wrap_slot(lo_slot + (lo - lo_prev), L);
        lo_prev = lo;
        if (threadIdx.x == 0) {   /* sentinels of rows lo - 1 and hi + 1 (see SENTINELS) */
            cur[lo_slot] = NEG_INF;
            cur[wrap_slot(lo_slot + (hi + 2 - lo), L)] = NEG_INF;
        }
        for (int i = lo + threadIdx.x; i <= hi; i += blockDim.x) {
            double s0, s1, s2;
            if (PREFETCH && i == lo + (int)threadIdx.x) {
                s0 = p0; s1 = p1; s2 = p2;
            } else {
                const float *s = pair_scores + 3 * (i * s_row + t + s_off);
                s0 = s[0]; s1 = s[1]; s2 = s[2];
            }
            flag_bad_scores(bad_score + pair, 3 * (i * s_row + t + s_off), s0, s1, s2);
            const int r = row_slot(lo_slot, i, lo, L), r1 = r + 1 == L ? 0 : r + 1;   /* slots of rows i - 1 and i */
            const double xL = prev[r1] + s0;
            const double xD = prev2[r] + s1;
            const double xU = prev[r] + s2;
            const double a = local ? lse4(xL, xD, xU, s1) : lse3(xL, xD, xU);
            cur[r1] = a;
            alpha[base + (i - lo)] = a;
            best = larger(a, best);
        }
        p0 = q0; p1 = q1; p2 = q2;
        __syncthreads();
        base += hi - lo + 1;
        const int o_free = o_prev2;   /* t - 2's buffer becomes t + 1's */
        o_prev2 = o_prev; o_prev = o_cur; o_cur = o_free;
    }
    *cells = base;

    if (bad_score[pair] != INT_MAX) {
        return false;   /* a bad score (every thread sees the same flag after the barrier) */
    }
    double lz;
    if (local) {
        const double mx = block_reduce(best, red, true);
        double part = 0.0;
        if (mx != NEG_INF) {
            for (int c = threadIdx.x; c < base; c += blockDim.x) {
                part += exp_nonpositive(alpha[c] - mx);
            }
        }
        const double sum = block_reduce(part, red, false);
        lz = mx == NEG_INF ? NEG_INF : mx + log(sum);
        *end_shift = mx;   /* end(c) = exp(alpha(c) - mx) / sum: ends that sum to 1 however large alpha is */
        *end_scale = 1.0 / sum;
    } else {
        lz = a_roll[(last % 3) * L + (n % L)];
    }
    if (threadIdx.x == 0) {
        log_z[pair] = lz;
    }
    *lz_out = lz;
    return lz != NEG_INF;   /* no path of finite weight: the host reports the pair */
}

/*
 * Log-semiring forward-backward, any block size. Dynamic shared memory:
 * 12 * L doubles (alpha: 3 x L, flows: 3 kinds x 3 anti-diagonals x L) plus blockDim.x doubles,
 * unless roll_global is non-null, in which case block b uses roll_global + b * 12 * L and shared
 * memory holds only the blockDim.x reduction doubles. bad_score[b] (INT_MAX on entry) gets the
 * index of the pair's first bad score, if any (flag_bad_scores); such a pair stops after the
 * forward pass and its outputs are left unwritten. PREFETCH as in forward_pass; backward it
 * prefetches the scores and four alphas of the thread's next cell.
 */
template <bool PREFETCH, bool GLOBAL_ROLL>
__device__ __forceinline__ void forward_backward_in(const long long *desc, const float *scores,
                                                    float *marginals, double *alpha_all,
                                                    double *log_z, double *roll_global, int *bad_score) {
    const int pair = blockIdx.x;
    const PairView p = pair_view(desc, pair, scores, marginals);
    const int n = p.n, m = p.m, diag_lo = p.diag_lo, diag_hi = p.diag_hi;
    const int s_row = p.s_row, s_off = p.s_off, o_row = p.o_row, o_off = p.o_off;
    const float *pair_scores = p.scores;
    float *pair_marginals = p.marginals;
    double *alpha = alpha_all + p.cell_base;
    const bool local = p.local;
    const int L = p.L, last = p.last;

    DYNAMIC_SHARED(double, fb_shared);
    double *red = fb_shared;
    double *roll = GLOBAL_ROLL ? roll_global + (long long)blockIdx.x * 12 * L : fb_shared + blockDim.x;
    double *a_roll = roll;           /* 3 x L: alpha of t, t-1, t-2 */
    double *f_roll = roll + 3 * L;   /* 9 x L: flows left, diag, up of t, t+1, t+2 */

    int base;
    double lz, best = 0.0, end_scale = 0.0;
    if (!forward_pass<PREFETCH>(p, pair, alpha, a_roll, red, log_z, bad_score, &base, &lz, &best, &end_scale)) {
        return;
    }
    /* Local mode's end shift and scale, for every cell: kept in the alpha roll, idle from here on
       (in registers across the backward loop they took 6 more, 78 on sm_90: 3 blocks of 224
       threads an SM instead of 4). The barrier after the flows' clearing orders the write. */
    if (local && threadIdx.x == 0) {
        a_roll[0] = best;
        a_roll[1] = end_scale;
    }
    const double *end_at = a_roll;

    /* ---- backward ---- */
    for (int k = threadIdx.x; k < 9 * L; k += blockDim.x) {
        f_roll[k] = 0.0;
    }
    __syncthreads();
    Diagonal c0 = diagonal_before(last, n, m, diag_lo, diag_hi, base);   /* anti-diagonal t */
    Diagonal c1 = diagonal_before(last - 1, n, m, diag_lo, diag_hi, c0.base);   /* t - 1 */
    Diagonal c2 = diagonal_before(last - 2, n, m, diag_lo, diag_hi, c1.base);   /* t - 2 */
    int lo_slot = c0.lo % L;   /* RING SLOTS, walking down */
    /* buffers of t, t + 1, t + 2: (t mod 3) * 3L, rotated as t goes down */
    int o_cur = (last % 3) * 3 * L, o_next = ((last + 1) % 3) * 3 * L, o_next2 = ((last + 2) % 3) * 3 * L;
    BackwardInputs pre = {};   /* PREFETCH: inputs of this thread's first cell of t */
    if (PREFETCH && c0.lo + (int)threadIdx.x <= c0.hi) {
        pre = load_backward(pair_scores, s_row, s_off, alpha, last, c0.lo + threadIdx.x, local, c0, c1, c2);
    }
    for (int t = last; t >= 0; t--) {
        const int lo = c0.lo, hi = c0.hi;
        const Diagonal c3 = diagonal_before(t - 3, n, m, diag_lo, diag_hi, c2.base);
        BackwardInputs next_pre = {};
        if (PREFETCH && t > 0 && c1.lo + (int)threadIdx.x <= c1.hi) {
            next_pre = load_backward(pair_scores, s_row, s_off, alpha, t - 1, c1.lo + threadIdx.x, local, c1, c2, c3);
        }
        double *cur = f_roll + o_cur;
        const double *next = f_roll + o_next;
        const double *next2 = f_roll + o_next2;
        for (int k = threadIdx.x; k < 3; k += blockDim.x) {   /* sentinels; any block size, even below 3 */
            cur[k * L + lo_slot] = 0.0;
            cur[k * L + wrap_slot(lo_slot + (hi + 2 - lo), L)] = 0.0;
        }
        for (int i = lo + threadIdx.x; i <= hi; i += blockDim.x) {
            const BackwardInputs in = PREFETCH && i == lo + (int)threadIdx.x
                    ? pre : load_backward(pair_scores, s_row, s_off, alpha, t, i, local, c0, c1, c2);
            const double a = in.a;
            const int r0 = row_slot(lo_slot, i, lo, L);
            const int r = r0 + 1 == L ? 0 : r0 + 1, r1 = r + 1 == L ? 0 : r + 1;   /* slots of rows i, i + 1 */
            double end = local ? exp_nonpositive(a - end_at[0]) * end_at[1] : (t == last ? 1.0 : 0.0);
            const double gamma = end + next[0 * L + r] + next[2 * L + r1] + next2[1 * L + r1];
            double fL = 0.0, fD = 0.0, fU = 0.0, fS = 0.0;
            if (a != NEG_INF) {   /* an unreachable cell carries no flow: skip its work */
                /* the softmax weights of the terms: one exp fewer than terms (see weight_of) */
                const double xL = in.aL + (double)in.s0, xD = in.aD + (double)in.s1, xU = in.aU + (double)in.s2;
                double p, q, ep, eq;
                if (local) {
                    const double xS = (double)in.s1;
                    double p3;
                    const double mx = max_rest4(xL, xD, xU, xS, &p, &q, &p3);
                    double ep3 = exp_nonpositive(p3 - mx);
                    ep = exp_nonpositive(p - mx);
                    eq = exp_nonpositive(q - mx);
                    const double emax = reciprocal_small(1.0 + (ep + eq + ep3));
                    ep *= emax; eq *= emax; ep3 *= emax;
                    fS = gamma * weight_of(xS, p, ep, q, eq, p3, ep3, emax);
                    fL = gamma * weight_of(xL, p, ep, q, eq, p3, ep3, emax);
                    fD = gamma * weight_of(xD, p, ep, q, eq, p3, ep3, emax);
                    fU = gamma * weight_of(xU, p, ep, q, eq, p3, ep3, emax);
                } else {
                    const double mx = max_rest3(xL, xD, xU, &p, &q);
                    ep = exp_nonpositive(p - mx);
                    eq = exp_nonpositive(q - mx);
                    const double emax = reciprocal_small(1.0 + (ep + eq));
                    ep *= emax; eq *= emax;
                    fL = gamma * weight_of3(xL, p, ep, q, eq, emax);
                    fD = gamma * weight_of3(xD, p, ep, q, eq, emax);
                    fU = gamma * weight_of3(xU, p, ep, q, eq, emax);
                }
            }
            cur[0 * L + r] = fL;
            cur[1 * L + r] = fD;
            cur[2 * L + r] = fU;
            float *o = pair_marginals + 3 * (i * o_row + t + o_off);
            o[0] = (float)fL;
            o[1] = (float)(fD + fS);
            o[2] = (float)fU;
        }
        if (PREFETCH) {
            pre = next_pre;
        }
        __syncthreads();
        lo_slot = wrap_slot(lo_slot + (c1.lo - c0.lo), L);
        const int o_free = o_next2;   /* t + 2's buffer becomes t - 1's */
        o_next2 = o_next; o_next = o_cur; o_cur = o_free;
        c0 = c1; c1 = c2; c2 = c3;
    }
}

/*
 * ROLL SPACE: the rolling state's two storages are separate code, so the compiler knows which
 * memory every access goes to: shared-memory loads and stores with 32-bit addresses (11
 * instructions a cell fewer forward, 16 backward, sm_90 SASS), or global ones, instead of
 * generic loads and stores through 64-bit addresses for both. The forward-backward kernels hold
 * both forms and pick one per block (their registers barely change); banded_alpha_beta and
 * banded_viterbi come as two kernels each, the second named _global, as one kernel holding both
 * forms needed many more registers (on sm_90, 62 instead of 48, and 56 instead of 36).
 */
template <bool PREFETCH>
__device__ __forceinline__ void forward_backward(const long long *desc, const float *scores,
                                                 float *marginals, double *alpha_all,
                                                 double *log_z, double *roll_global, int *bad_score) {
    if (roll_global) {
        forward_backward_in<PREFETCH, true>(desc, scores, marginals, alpha_all, log_z, roll_global, bad_score);
    } else {
        forward_backward_in<PREFETCH, false>(desc, scores, marginals, alpha_all, log_z, roll_global, bad_score);
    }
}

extern "C" __global__ void banded_forward_backward(const long long *desc, const float *scores,
                                                   float *marginals, double *alpha_all,
                                                   double *log_z, double *roll_global, int *bad_score) {
    forward_backward<false>(desc, scores, marginals, alpha_all, log_z, roll_global, bad_score);
}

/*
 * The plain variant compiled for 4 resident blocks of up to 256 threads an SM (at most 64
 * registers a thread; on sm_90 32 bytes of spill stores and 92 of loads (nvcc 13), where the
 * plain one takes 72 registers, which allow 4 blocks of 224 threads but only 3 of 256; on
 * sm_80 it takes 80, so 3 blocks of 224). An experiment for
 * the GPU benchmark (-Dbandalign.cuda.regcap=true): more resident warps for blocks of 256
 * against the spills' cost; the host never picks it on its own.
 */
extern "C" __global__ void __launch_bounds__(256, 4) banded_forward_backward_regcap(
        const long long *desc, const float *scores, float *marginals, double *alpha_all, double *log_z,
        double *roll_global, int *bad_score) {
    forward_backward<false>(desc, scores, marginals, alpha_all, log_z, roll_global, bad_score);
}

extern "C" __global__ void banded_forward_backward_prefetch(const long long *desc, const float *scores,
                                                            float *marginals, double *alpha_all,
                                                            double *log_z, double *roll_global, int *bad_score) {
    forward_backward<true>(desc, scores, marginals, alpha_all, log_z, roll_global, bad_score);
}

/*
 * SPLIT: for launches with few pairs (long ones), where one block a pair leaves most of the GPU
 * idle and every anti-diagonal step waits on the previous one, forward-backward runs as two
 * kernels instead: banded_alpha_beta runs 2 x pairs blocks, block b < pairs the forward pass of
 * pair b and block pairs + b the beta recursion of pair b, at the same time, so each pair's
 * chain of dependent steps is half as long; then banded_marginals computes every step's
 * marginal exp(alpha(pred) + S_k + beta - log Z) from the stored alpha and beta, with no
 * dependence between cells, in many blocks a pair. It costs more memory traffic (scores read
 * three times, beta written and read: about 80 bytes a cell) and three exps a cell more, so it
 * pays only where latency, not throughput, bounds the launch; the host picks.
 * Its exponent adds alpha and beta, each rounded along its own recursion, so it loses about
 * |alpha| x 1e-16 of a marginal, and the errors do not cancel: on pairs of constant 1e6 scores,
 * 4.8e-7 at 2500 x 2500 (log Z 5e9; the marginals summed to 4998.87 for 4999 steps) and 1.3e-6
 * at 4000 x 4000; 1.5e-5 at log Z 1.2e11; where the one-block forward-backward, whose weights
 * are normalised cell by cell, stays exact. So where a cell that carries mass has |alpha| or
 * |beta| above SPLIT_EXACT (2^30, 1.1e9: errors below float32's resolution of the marginals
 * written), banded_marginals marks its pair IMPRECISE in bad_score, and the host aligns that
 * pair again without the split. (The seed example, log Z 2.2e8, stays split.) The pair's
 * other blocks go on to the end: a block that read the mark at its start, set by a sibling
 * already running, could see it in some warps and not in others, and its warps that returned
 * would leave holes in cells_before's block sum (hardware lets a barrier pass once the threads
 * that have not exited reach it), so a garbage base and reads far outside alpha and beta.
 *
 * Beta (log): beta(c) = LSE over c's successors c' of beta(c') + S_k(c') (k the step from c to
 * c'), plus the end term 0 in local mode; in global mode beta of the last cell is 0. Each cell
 * publishes g_k = beta + S_k for its three steps in the rolling buffer (3 kinds x 3
 * anti-diagonals x L doubles, sentinels -inf), so a cell reads its successors' g without
 * reading their scores. Beta of every cell is written once (compact order, like alpha).
 */
__device__ __forceinline__ void beta_pass(const PairView &p, double *beta, double *g_roll, double *red) {
    const int n = p.n, m = p.m, diag_lo = p.diag_lo, diag_hi = p.diag_hi;
    const int s_row = p.s_row, s_off = p.s_off, L = p.L, last = p.last;
    const bool local = p.local;
    const float *pair_scores = p.scores;
    for (int k = threadIdx.x; k < 9 * L; k += blockDim.x) {
        g_roll[k] = NEG_INF;
    }
    const int cells = cells_before(p, last + 1, red);   /* its barriers also order the fill */
    Diagonal c0 = diagonal_before(last, n, m, diag_lo, diag_hi, cells);
    int lo_slot = c0.lo % L;   /* RING SLOTS, walking down */
    /* buffers of t, t + 1, t + 2: (t mod 3) * 3L, rotated as t goes down */
    int o_cur = (last % 3) * 3 * L, o_next = ((last + 1) % 3) * 3 * L, o_next2 = ((last + 2) % 3) * 3 * L;
    float p0 = 0.0f, p1 = 0.0f, p2 = 0.0f;   /* scores of this thread's first cell of t, loaded a step ahead */
    if (c0.lo + (int)threadIdx.x <= c0.hi) {
        const float *s = pair_scores + 3 * ((c0.lo + (int)threadIdx.x) * s_row + last + s_off);
        p0 = s[0]; p1 = s[1]; p2 = s[2];
    }
    for (int t = last; t >= 0; t--) {
        const int lo = c0.lo, hi = c0.hi;
        const Diagonal c1 = diagonal_before(t - 1, n, m, diag_lo, diag_hi, c0.base);
        float q0 = 0.0f, q1 = 0.0f, q2 = 0.0f;
        if (t > 0 && c1.lo + (int)threadIdx.x <= c1.hi) {
            const float *s = pair_scores + 3 * ((c1.lo + (int)threadIdx.x) * s_row + t - 1 + s_off);
            q0 = s[0]; q1 = s[1]; q2 = s[2];
        }
        double *cur = g_roll + o_cur;
        const double *next = g_roll + o_next;
        const double *next2 = g_roll + o_next2;
        for (int k = threadIdx.x; k < 3; k += blockDim.x) {   /* sentinels; any block size, even below 3 */
            cur[k * L + lo_slot] = NEG_INF;
            cur[k * L + wrap_slot(lo_slot + (hi + 2 - lo), L)] = NEG_INF;
        }
        for (int i = lo + threadIdx.x; i <= hi; i += blockDim.x) {
            double s0, s1, s2;
            if (i == lo + (int)threadIdx.x) {
                s0 = p0; s1 = p1; s2 = p2;
            } else {
                const float *s = pair_scores + 3 * (i * s_row + t + s_off);
                s0 = s[0]; s1 = s[1]; s2 = s[2];
            }
            const int r0 = row_slot(lo_slot, i, lo, L);
            const int r = r0 + 1 == L ? 0 : r0 + 1, r1 = r + 1 == L ? 0 : r + 1;   /* slots of rows i, i + 1 */
            const double gR = next[0 * L + r];     /* (i, j + 1): a step left into it */
            const double gC = next2[1 * L + r1];   /* (i + 1, j + 1): diagonal */
            const double gB = next[2 * L + r1];    /* (i + 1, j): up */
            const double b = local ? lse4(0.0, gR, gC, gB) : t == last ? 0.0 : lse3(gR, gC, gB);
            cur[0 * L + r] = b + s0;
            cur[1 * L + r] = b + s1;
            cur[2 * L + r] = b + s2;
            beta[c0.base + (i - lo)] = b;
        }
        p0 = q0; p1 = q1; p2 = q2;
        __syncthreads();
        lo_slot = wrap_slot(lo_slot + (c1.lo - c0.lo), L);
        const int o_free = o_next2;   /* t + 2's buffer becomes t - 1's */
        o_next2 = o_next; o_next = o_cur; o_cur = o_free;
        c0 = c1;
    }
}

template <bool GLOBAL_ROLL>
__device__ __forceinline__ void alpha_beta_in(const long long *desc, const float *scores, double *alpha_all,
                                              double *beta_all, double *log_z, double *roll_global,
                                              int *bad_score, int pairs) {
    const bool forward = (int)blockIdx.x < pairs;
    const int pair = forward ? blockIdx.x : blockIdx.x - pairs;
    const PairView p = pair_view(desc, pair, scores, nullptr);
    DYNAMIC_SHARED(double, ab_shared);
    double *red = ab_shared;
    double *roll = GLOBAL_ROLL ? roll_global + (long long)blockIdx.x * 12 * p.L : ab_shared + blockDim.x;
    if (forward) {
        int cells;
        double lz;
        double best, end_scale;
        forward_pass<true>(p, pair, alpha_all + p.cell_base, roll, red, log_z, bad_score, &cells, &lz, &best, &end_scale);
    } else {
        beta_pass(p, beta_all + p.cell_base, roll, red);
    }
}

/*
 * SPLIT, first kernel: 2 x pairs blocks (see SPLIT). Shared memory as in
 * banded_forward_backward (12 x L doubles plus blockDim.x); banded_alpha_beta_global below uses
 * one 12 x L area of roll_global per block (2 x pairs of them) and blockDim.x doubles of shared
 * memory instead (see ROLL SPACE).
 */
extern "C" __global__ void banded_alpha_beta(const long long *desc, const float *scores, double *alpha_all,
                                             double *beta_all, double *log_z, double *roll_global,
                                             int *bad_score, int pairs) {
    alpha_beta_in<false>(desc, scores, alpha_all, beta_all, log_z, roll_global, bad_score, pairs);
}

/* banded_alpha_beta with its rolling state in roll_global (see ROLL SPACE). */
extern "C" __global__ void banded_alpha_beta_global(const long long *desc, const float *scores, double *alpha_all,
                                                    double *beta_all, double *log_z, double *roll_global,
                                                    int *bad_score, int pairs) {
    alpha_beta_in<true>(desc, scores, alpha_all, beta_all, log_z, roll_global, bad_score, pairs);
}

/* SPLIT's bound on |alpha| and |beta| of a cell that carries mass, and the mark of a pair past it. */
#define SPLIT_EXACT 1073741824.0
#define IMPRECISE (-2)

/*
 * SPLIT, second kernel: pairs x slices blocks; block b takes pair b / slices and the b % slices-th
 * run of its anti-diagonals, threads across each anti-diagonal, no barriers after the block
 * sums its first anti-diagonal's compact base. Dynamic shared memory: blockDim.x doubles. A pair
 * with a bad score or no finite path is skipped (the host reports it and never reads its marginals);
 * one marked IMPRECISE is not, not even by a block that starts after the mark (see SPLIT).
 */
extern "C" __global__ void banded_marginals(const long long *desc, const float *scores, float *marginals,
                                            const double *alpha_all, const double *beta_all,
                                            const double *log_z, int *bad_score, int slices) {
    const int pair = blockIdx.x / slices, slice = blockIdx.x % slices;
    /* (set before this launch, but for IMPRECISE, which sibling blocks may store meanwhile: a
       volatile load, so the race is one the memory model allows; see SPLIT) */
    const int flag = *(volatile const int *)&bad_score[pair];
    if ((flag != INT_MAX && flag != IMPRECISE) || log_z[pair] == NEG_INF) {
        return;
    }
    const double lz = log_z[pair];
    const PairView p = pair_view(desc, pair, scores, marginals);
    const int n = p.n, m = p.m, diag_lo = p.diag_lo, diag_hi = p.diag_hi;
    const double *alpha = alpha_all + p.cell_base, *beta = beta_all + p.cell_base;
    const int span = (p.last + slices) / slices;   /* ceil((last + 1) / slices) */
    const int t0 = slice * span, t1 = min(p.last, t0 + span - 1);
    if (t0 > p.last) {
        return;
    }
    DYNAMIC_SHARED(double, red);
    Diagonal c0;
    c0.lo = row_lo(t0, m, diag_hi); c0.hi = row_hi(t0, n, diag_lo);
    c0.base = cells_before(p, t0, red);
    Diagonal c1 = diagonal_before(t0 - 1, n, m, diag_lo, diag_hi, c0.base);
    Diagonal c2 = diagonal_before(t0 - 2, n, m, diag_lo, diag_hi, c1.base);
    for (int t = t0; t <= t1; t++) {
        for (int i = c0.lo + threadIdx.x; i <= c0.hi; i += blockDim.x) {
            const BackwardInputs in = load_backward(p.scores, p.s_row, p.s_off, alpha, t, i, p.local, c0, c1, c2);
            const double bc = beta[c0.base + (i - c0.lo)], b = bc - lz;
            if ((fabs(in.a) > SPLIT_EXACT || fabs(bc) > SPLIT_EXACT) && in.a + b > -20.0) {
                bad_score[pair] = IMPRECISE;   /* (the host aligns the pair again: see SPLIT) */
            }
            float *o = p.marginals + 3 * (i * p.o_row + t + p.o_off);
            /* each exponent is <= 0 but for rounding (see Numerics), so clamp it */
            o[0] = (float)exp_nonpositive(fmin(0.0, in.aL + (double)in.s0 + b));
            o[1] = (float)fmin(1.0, exp_nonpositive(fmin(0.0, in.aD + (double)in.s1 + b))
                                    + (p.local ? exp_nonpositive(fmin(0.0, (double)in.s1 + b)) : 0.0));
            o[2] = (float)exp_nonpositive(fmin(0.0, in.aU + (double)in.s2 + b));
        }
        c2 = c1; c1 = c0;
        c0.base += c0.hi - c0.lo + 1;
        c0.lo = row_lo(t + 1, m, diag_hi); c0.hi = row_hi(t + 1, n, diag_lo);
    }
}

/*
 * Max-semiring (Viterbi). Dynamic shared memory: 3 * L doubles (scores of t, t-1, t-2), or the
 * global scratch as above (3 * L doubles a block), then 16 bytes a thread for the block's
 * reductions (the local-mode best cell: blockDim.x doubles and 2 x blockDim.x ints; also
 * cells_before's). Sized by the block, not for the largest one: a static 1024-thread scratch
 * took 16 KB of the 21.5 KB a block held, which capped an SM at 10 resident blocks of any size
 * (now 5 KB static, for the traceback's window). back_ptr: one byte per band cell, compact
 * anti-diagonal order. Outputs per pair: best[b], the path's end cell end_cell[2b], [2b+1],
 * its step count path_len[b] and steps path[D_PATH_BASE ...] from the end to the start
 * ('M', 'I', 'D'; the start is the last 'M'). bad_score as in forward-backward (the same array
 * when both run); a pair with a bad score gets no traceback.
 */
template <bool GLOBAL_ROLL>
__device__ __forceinline__ void viterbi(const long long *desc, const float *scores,
                                        unsigned char *back_ptr, double *best_out, int *end_cell,
                                        int *path_len, unsigned char *path, double *roll_global,
                                        int *bad_score) {
    const long long *d = desc + (long long)blockIdx.x * DESC_FIELDS;
    const int n = (int)d[D_N], m = (int)d[D_M];
    const int diag_lo = (int)d[D_DIAG_LO], diag_hi = (int)d[D_DIAG_HI];
    const int s_row = (int)d[D_S_ROW], s_off = (int)d[D_S_OFF];   /* per-pair indices fit an int */
    const float *pair_scores = scores + d[D_S_BASE];
    unsigned char *bp = back_ptr + d[D_CELL_BASE];
    const bool local = d[D_LOCAL] != 0;
    const int L = (int)d[D_ROLL_LEN];
    const int last = n + m - 2;

    DYNAMIC_SHARED(double, shared);
    double *v_roll = GLOBAL_ROLL ? roll_global + (long long)blockIdx.x * 3 * L : shared;
    double *best_v = shared + (GLOBAL_ROLL ? 0 : 3 * L);   /* blockDim.x each, after the rolling state */
    int *best_i = reinterpret_cast<int *>(best_v + blockDim.x);
    int *best_j = best_i + blockDim.x;

    for (int k = threadIdx.x; k < 3 * L; k += blockDim.x) {
        v_roll[k] = NEG_INF;
    }
    __syncthreads();
    if (!local && threadIdx.x == 0) {
        v_roll[1 * L + 0] = 0.0;
    }
    __syncthreads();

    double my_best = NEG_INF;
    int my_i = 0x7fffffff, my_j = 0x7fffffff;
    int base = 0;
    int lo_prev = 0, lo_slot = 0;   /* RING SLOTS */
    int o_cur = 0, o_prev = 2 * L, o_prev2 = L;   /* buffers of t, t - 1, t - 2: (t mod 3) * L, rotated */
    for (int t = 0; t <= last; t++) {
        const int lo = row_lo(t, m, diag_hi), hi = row_hi(t, n, diag_lo);
        double *cur = v_roll + o_cur;
        const double *prev = v_roll + o_prev;
        const double *prev2 = v_roll + o_prev2;
        lo_slot = wrap_slot(lo_slot + (lo - lo_prev), L);
        lo_prev = lo;
        if (threadIdx.x == 0) {   /* sentinels, as in forward-backward */
            cur[lo_slot] = NEG_INF;
            cur[wrap_slot(lo_slot + (hi + 2 - lo), L)] = NEG_INF;
        }
        for (int i = lo + threadIdx.x; i <= hi; i += blockDim.x) {
            const float *s = pair_scores + 3 * (i * s_row + t + s_off);
            const double m1 = s[1];
            flag_bad_scores(bad_score + blockIdx.x, 3 * (i * s_row + t + s_off), s[0], m1, s[2]);
            const int r = row_slot(lo_slot, i, lo, L), r1 = r + 1 == L ? 0 : r + 1;   /* slots of rows i - 1 and i */
            double v;
            unsigned char ptr;
            if (local) {
                v = m1;
                ptr = BP_START;
                const double xD = prev2[r] + m1;
                if (xD > v) { v = xD; ptr = BP_DIAG; }
            } else {
                v = prev2[r] + m1;
                ptr = t == 0 ? BP_START : BP_DIAG;
            }
            const double xU = prev[r] + (double)s[2];
            if (xU > v) { v = xU; ptr = BP_UP; }
            const double xL = prev[r1] + (double)s[0];
            if (xL > v) { v = xL; ptr = BP_LEFT; }
            if (v == NEG_INF) {
                ptr = BP_NONE;
            }
            cur[r1] = v;
            bp[base + (i - lo)] = ptr;
            const int j = t - i;
            if (local && v != NEG_INF && (v > my_best || (v == my_best && (i < my_i || (i == my_i && j < my_j))))) {
                my_best = v; my_i = i; my_j = j;
            }
        }
        __syncthreads();
        base += hi - lo + 1;
        const int o_free = o_prev2;   /* t - 2's buffer becomes t + 1's */
        o_prev2 = o_prev; o_prev = o_cur; o_cur = o_free;
    }

    if (bad_score[blockIdx.x] != INT_MAX) {
        if (threadIdx.x == 0) {
            path_len[blockIdx.x] = 0;   /* no traceback through scores that may be NaN */
        }
        return;
    }
    if (local) {
        best_v[threadIdx.x] = my_best;
        best_i[threadIdx.x] = my_i;
        best_j[threadIdx.x] = my_j;
        __syncthreads();
        if (threadIdx.x == 0) {
            for (int k = 1; k < (int)blockDim.x; k++) {
                const double v = best_v[k];
                if (v > best_v[0] || (v == best_v[0] && v != NEG_INF
                        && (best_i[k] < best_i[0] || (best_i[k] == best_i[0] && best_j[k] < best_j[0])))) {
                    best_v[0] = v; best_i[0] = best_i[k]; best_j[0] = best_j[k];
                }
            }
        }
        __syncthreads();
    }
    /* Every thread knows the end cell: the traceback below is done by the whole block. */
    double score;
    int i, j;
    if (local) {
        score = best_v[0]; i = best_i[0]; j = best_j[0];
    } else {
        score = v_roll[(last % 3) * L + (n % L)]; i = n - 1; j = m - 1;
    }
    if (threadIdx.x == 0) {
        best_out[blockIdx.x] = score;
        end_cell[2 * blockIdx.x] = i;
        end_cell[2 * blockIdx.x + 1] = j;
        if (score == NEG_INF) {
            path_len[blockIdx.x] = 0;
        }
    }
    if (score == NEG_INF) {
        return;
    }
    __syncthreads();   /* best_v[0] read by all before cells_before reuses best_v */
    int t = i + j;
    int bt = cells_before(pair_view(desc, blockIdx.x, scores, nullptr), t, best_v);   /* base(t) */

    /*
     * TRACEBACK in windows: a path that is at row i of anti-diagonal t stays within rows
     * i - W + 1 .. i of the W anti-diagonals t, t-1, ..., t-W+1 for its next steps (each step goes
     * back one or two anti-diagonals and at most one row). The block copies those back-pointers
     * (W bytes of each, contiguous in the compact order) into shared memory at once, then
     * thread 0 follows the path there until it leaves the window. A path step then costs a
     * shared-memory read instead of a dependent global load; the window's copy is one parallel
     * read. Anti-diagonal t - s's bytes start at win[s * W], for rows seg_row0[s] ...
     */
    __shared__ unsigned char win[TRACE_W * TRACE_W];
    __shared__ int seg_ubase[TRACE_W], seg_base[TRACE_W], seg_row0[TRACE_W], seg_len[TRACE_W];
    __shared__ int trace_state[4];   /* t, i, base(t), done */
    unsigned char *out = path + d[D_PATH_BASE];
    int len = 0;
    for (;;) {
        for (int s = threadIdx.x; s < TRACE_W; s += blockDim.x) {   /* any block size */
            const int u = t - s;
            int ub = bt, b = 0, r0 = 0, cnt = 0;
            if (u >= 0) {
                for (int k = 1; k <= s; k++) {
                    ub -= row_hi(t - k, n, diag_lo) - row_lo(t - k, m, diag_hi) + 1;
                }
                const int lo = row_lo(u, m, diag_hi), hi = row_hi(u, n, diag_lo);
                r0 = max(lo, i - (TRACE_W - 1));
                cnt = max(0, min(hi, i) - r0 + 1);
                b = ub + (r0 - lo);
            }
            seg_ubase[s] = ub; seg_base[s] = b; seg_row0[s] = r0; seg_len[s] = cnt;
        }
        __syncthreads();
        for (int k = threadIdx.x; k < TRACE_W * TRACE_W; k += blockDim.x) {
            const int s = k / TRACE_W, r = k - s * TRACE_W;
            if (r < seg_len[s]) {
                win[k] = bp[seg_base[s] + r];
            }
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            const int top = t;
            int done = 0;
            while (top - t < TRACE_W) {
                if (t < 0 || len >= n + m) {   /* cannot happen with valid back-pointers; never loop or overrun */
                    len = -1; done = 1; break;
                }
                const int s = top - t;
                const unsigned char ptr = win[s * TRACE_W + (i - seg_row0[s])];
                if (ptr == BP_START) { out[len++] = 'M'; done = 1; break; }
                if (ptr == BP_NONE) { len = -1; done = 1; break; }
                if (ptr == BP_DIAG) { out[len++] = 'M'; i--; j--; t -= 2; }
                else if (ptr == BP_UP) { out[len++] = 'I'; i--; t--; }
                else { out[len++] = 'D'; j--; t--; }
            }
            if (!done) {
                /* t is top - W or top - W - 1 (a step goes back at most two anti-diagonals) */
                int b = seg_ubase[TRACE_W - 1];
                for (int u = top - TRACE_W; u >= t; u--) {
                    b -= row_hi(u, n, diag_lo) - row_lo(u, m, diag_hi) + 1;
                }
                trace_state[2] = b;
            }
            trace_state[0] = t; trace_state[1] = i; trace_state[3] = done;
        }
        __syncthreads();
        if (trace_state[3]) {
            break;
        }
        t = trace_state[0]; i = trace_state[1]; bt = trace_state[2];
    }
    if (threadIdx.x == 0) {
        path_len[blockIdx.x] = len;
    }
}

/* banded_viterbi keeps its rolling state in shared memory, banded_viterbi_global in roll_global
   (see ROLL SPACE). */
extern "C" __global__ void banded_viterbi(const long long *desc, const float *scores,
                                          unsigned char *back_ptr, double *best_out, int *end_cell,
                                          int *path_len, unsigned char *path, double *roll_global,
                                          int *bad_score) {
    viterbi<false>(desc, scores, back_ptr, best_out, end_cell, path_len, path, roll_global, bad_score);
}

extern "C" __global__ void banded_viterbi_global(const long long *desc, const float *scores,
                                                 unsigned char *back_ptr, double *best_out, int *end_cell,
                                                 int *path_len, unsigned char *path, double *roll_global,
                                                 int *bad_score) {
    viterbi<true>(desc, scores, back_ptr, best_out, end_cell, path_len, path, roll_global, bad_score);
}

/*
 * The SHA-256 of this file as build.sh compiled it, kept in the binary's data (the machine code
 * of each sm holds it as text), so that CudaKernelsFreshnessTest can tell the shipped binary was
 * built from the source beside it.
 */
#ifdef BANDALIGN_SOURCE_SHA256
extern "C" __device__ const char bandalign_source_sha256[] = BANDALIGN_SOURCE_SHA256;
#endif
