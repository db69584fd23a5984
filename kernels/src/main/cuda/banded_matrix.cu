/*
 * banded_matrix.cu — products of batched banded matrices in genbmm's storage (SPEC section 3):
 * x.multiply(y) = Y^T X in the standard, log and max semirings.
 *
 * DESIGN
 *
 * Layout: data[b][c][k] holds dense[b][c + k - lu][c] (row c of the storage is column c of the
 * matrix), width = lu + ld + 1. The result has lu = x.lu + y.ld, ld = x.ld + y.lu.
 *
 * Thread mapping: one thread per result slot (b, c, k). Slot (c, k) is Z[i][c] with
 * i = c + k - lu and Z[i][c] = sum over t of Y[t][i] * X[t][c]: t runs over the rows where column
 * c of X and column i of Y are both in their bands and inside the matrix, X[t][c] is
 * x.data[c][t - c + x.lu] and Y[t][i] is y.data[i][t - i + y.lu]. Consecutive threads take
 * consecutive k of one c, so their reads of x.data row c are shared through the cache.
 *
 * Numerics: accumulation in float64, rounded once to float32. The log product is a max-shifted
 * log-sum-exp over the terms (two passes over t: max, then sum), so -inf terms are skipped and
 * add no NaN; an empty sum gives the semiring's zero. Special values follow the CPU's
 * BandedMatrix (ProductSemiring): a NaN term makes the slot NaN (in the max product too, as
 * Java's Math.max does, where fmax would drop it), and in the log product a +inf term makes it
 * +inf (not exp(inf - inf) = NaN). Slots outside the matrix hold the result's fill: 0
 * (standard) or -inf (log, max).
 */

#include <math_constants.h>

enum { SR_STANDARD = 0, SR_LOG = 1, SR_MAX = 2 };

/* Java's Math.max: NaN if either is NaN, and +0 above -0. */
__device__ __forceinline__ double java_max(double a, double b) {
    if (a != a || b != b) {
        return a != a ? a : b;
    }
    if (a == 0.0 && b == 0.0) {
        return 1.0 / a < 0.0 ? b : a;   /* a is -0 */
    }
    return a >= b ? a : b;
}

extern "C" __global__ void banded_multiply(const float *x, const float *y, float *z,
                                           int batch, int n, int x_lu, int x_ld, int y_lu, int y_ld,
                                           int semiring) {
    const int x_w = x_lu + x_ld + 1, y_w = y_lu + y_ld + 1;
    const int lu = x_lu + y_ld, ld = x_ld + y_lu, w = lu + ld + 1;
    const long long slot = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    const long long total = (long long)batch * n * w;
    if (slot >= total) {
        return;
    }
    const int k = (int)(slot % w);
    const int c = (int)((slot / w) % n);
    const int b = (int)(slot / ((long long)w * n));
    const int i = c + k - lu;
    const double zero = semiring == SR_STANDARD ? 0.0 : -CUDART_INF;
    if (i < 0 || i >= n) {
        z[slot] = (float)zero;
        return;
    }
    const float *xc = x + ((long long)b * n + c) * x_w;
    const float *yi = y + ((long long)b * n + i) * y_w;
    const int t_lo = max(max(0, c - x_lu), i - y_lu);
    const int t_hi = min(min(n - 1, c + x_ld), i + y_ld);
    double acc = zero;
    if (semiring == SR_STANDARD) {
        for (int t = t_lo; t <= t_hi; t++) {
            acc += (double)yi[t - i + y_lu] * (double)xc[t - c + x_lu];
        }
    } else if (semiring == SR_MAX) {
        for (int t = t_lo; t <= t_hi; t++) {
            acc = java_max(acc, (double)yi[t - i + y_lu] + (double)xc[t - c + x_lu]);
        }
    } else {
        double mx = -CUDART_INF;
        for (int t = t_lo; t <= t_hi; t++) {
            mx = java_max(mx, (double)yi[t - i + y_lu] + (double)xc[t - c + x_lu]);
        }
        if (mx != mx || mx == CUDART_INF) {
            acc = mx;   /* a NaN term, or a +inf one: the sum is that */
        } else if (mx != -CUDART_INF) {
            double s = 0.0;
            for (int t = t_lo; t <= t_hi; t++) {
                s += exp((double)yi[t - i + y_lu] + (double)xc[t - c + x_lu] - mx);
            }
            acc = mx + log(s);
        }
    }
    z[slot] = (float)acc;
}

/*
 * The SHA-256 of this file as build.sh compiled it, kept in the binary's data (the machine code
 * of each sm holds it as text), so that CudaKernelsFreshnessTest can tell the shipped binary was
 * built from the source beside it.
 */
#ifdef BANDALIGN_SOURCE_SHA256
extern "C" __device__ const char bandalign_source_sha256[] = BANDALIGN_SOURCE_SHA256;
#endif
