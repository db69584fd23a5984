/*
 * Checks banded_align.cu's own math functions against the C library, for
 * CudaKernelEmulationTest. Compiled from the same source as the kernels, with the same fused
 * multiply-adds, so what it measures is what the GPU computes (but for the reciprocal
 * approximation in log1p_bounded, which the emulator makes coarser than the GPU's).
 *   math_accuracy exp SAMPLES MAX_ULPS    exp_nonpositive (EXP) on [-708, 0], in ulps of the
 *                                         result; 0 below -708, for -inf and for NaN
 *   math_accuracy log1p SAMPLES MAX_ULPS  log1p_bounded (LOG) on [0, 3], in ulps of 1 (2^-52):
 *                                         its error is absolute, see LOG
 * Prints the largest error and where; exits 1 above MAX_ULPS.
 */
#include "cuda_emulator.h"
#include "../../main/cuda/banded_align.cu"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

static double ulps(double got, double want) {
    if (got == want) return 0.0;
    const double spacing = std::nextafter(std::fabs(want), INFINITY) - std::fabs(want);
    return std::fabs(got - want) / spacing;
}

struct Worst {
    double error = 0.0, at = 0.0;
    void see(double e, double x) {
        if (!(e <= error) && !std::isnan(error)) { error = e; at = x; }   /* (a NaN is kept: the worst) */
    }
};

static int check_exp(long samples, Worst &worst) {
    auto check = [&](double x) { worst.see(ulps(exp_nonpositive(x), std::exp(x)), x); };
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
    int failures = 0;
    /* below the cutoff, -inf and NaN: 0 (the library gives a subnormal or 0 below -708) */
    for (double x : {-708.0001, -709.0, -745.2, -1e300, -(double)INFINITY, (double)NAN}) {
        if (exp_nonpositive(x) != 0.0) {
            fprintf(stderr, "exp_nonpositive(%.17g) = %.17g, expected 0\n", x, exp_nonpositive(x));
            failures++;
        }
    }
    return failures;
}

static int check_log1p(long samples, Worst &worst) {
    auto check = [&](double s) { worst.see(std::fabs(log1p_bounded(s) - std::log1p(s)) / 0x1p-52, s); };
    std::mt19937_64 rnd(54321);
    std::uniform_real_distribution<double> wide(0.0, 3.0), low(0.0, 1e-3);
    for (long k = 0; k < samples; k++) {
        check(wide(rnd));
        check(low(rnd));
        check(std::exp(-708.0 * std::uniform_real_distribution<double>(0.0, 1.0)(rnd)));   /* s = one weight */
    }
    /* the ends, the splits between k = 0, 1, 2 (y at 2^k sqrt(1/2)) and their neighbours */
    for (double s : {0.0, 1e-300, 1e-17, 1e-16, 2.2e-16, 1e-8, 0.5, 1.0, 2.0, 3.0, 0.41421356237309503,
                     0.41421356237309515, 1.8284271247461898, 1.8284271247461903, 1.9999999999999998, 2.9999999999999996}) {
        check(s);
        check(std::nextafter(s, 0.0));
        check(std::nextafter(s, 4.0));
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s exp|log1p SAMPLES MAX_ULPS\n", argv[0]); return 2; }
    const long samples = atol(argv[2]);
    const double limit = atof(argv[3]);
    Worst worst;
    int failures;
    if (strcmp(argv[1], "exp") == 0) failures = check_exp(samples, worst);
    else if (strcmp(argv[1], "log1p") == 0) failures = check_log1p(samples, worst);
    else { fprintf(stderr, "unknown function %s\n", argv[1]); return 2; }
    printf("%s: max error %.3f ulps at %.17g over %ld samples\n", argv[1], worst.error, worst.at, 3 * samples);
    if (!(worst.error <= limit)) {   /* (NaN too) */
        fprintf(stderr, "%s: max error %.3f ulps at %.17g exceeds %.1f\n", argv[1], worst.error, worst.at, limit);
        failures++;
    }
    return failures == 0 ? 0 : 1;
}
