/*
 * Checks banded_align.cu's exp_nonpositive (see EXP there) against the C library's exp, for
 * CudaKernelEmulationTest: exp_accuracy SAMPLES [MAX_ULPS]. Compiled from the same source as the
 * kernels, with the same fused multiply-adds, so what it measures is what the GPU computes.
 * Prints the largest error in ulps and where; exits 1 above MAX_ULPS (default 4).
 */
#include "cuda_emulator.h"
#include "../../main/cuda/banded_align.cu"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>

static double ulps(double got, double want) {
    if (got == want) return 0.0;
    const double spacing = std::nextafter(std::fabs(want), INFINITY) - std::fabs(want);
    return std::fabs(got - want) / spacing;
}

int main(int argc, char **argv) {
    const long samples = argc > 1 ? atol(argv[1]) : 1000000;
    const double limit = argc > 2 ? atof(argv[2]) : 4.0;
    double worst = 0.0, worst_at = 0.0;
    int failures = 0;
    auto check = [&](double x) {
        const double want = std::exp(x), got = exp_nonpositive(x);
        const double e = ulps(got, want);
        if (e > worst) { worst = e; worst_at = x; }
    };
    std::mt19937_64 rnd(12345);
    std::uniform_real_distribution<double> wide(-708.0, 0.0), near(-1.0, 0.0), tiny(-1e-6, 0.0);
    for (long k = 0; k < samples; k++) {
        check(wide(rnd));
        check(near(rnd));
        check(tiny(rnd));
    }
    for (double x : {0.0, -0.0, -1e-300, -1e-16, -0.34657359027997264, -0.34657359027997270, -0.6931471805599453,
                     -1.0, -2.0, -100.0, -700.0, -707.999, -708.0, 1e-12, 0.5}) {
        check(x);
    }
    /* below the cutoff, -inf and NaN: 0 (the library gives a subnormal or 0 below -708) */
    for (double x : {-708.0001, -709.0, -745.2, -1e300, -(double)INFINITY, (double)NAN}) {
        if (exp_nonpositive(x) != 0.0) {
            fprintf(stderr, "exp_nonpositive(%.17g) = %.17g, expected 0\n", x, exp_nonpositive(x));
            failures++;
        }
    }
    printf("max error %.3f ulps at x = %.17g over %ld samples\n", worst, worst_at, 3 * samples);
    if (worst > limit) {
        fprintf(stderr, "max error %.3f ulps exceeds %.1f\n", worst, limit);
        failures++;
    }
    return failures == 0 ? 0 : 1;
}
