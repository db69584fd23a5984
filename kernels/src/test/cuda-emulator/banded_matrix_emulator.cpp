/*
 * Runs banded_matrix.cu's banded_multiply in the CPU emulator, for CudaKernelEmulationTest:
 *   banded_matrix_emulator IN OUT
 * IN (little-endian): int32 batch, n, x_lu, x_ld, y_lu, y_ld, semiring; float x[batch*n*(x_lu+x_ld+1)],
 *     float y[batch*n*(y_lu+y_ld+1)]. OUT: float z[batch*n*(lu+ld+1)] with lu = x_lu + y_ld, ld = x_ld + y_lu.
 */
#include "cuda_emulator.h"
#include "../../main/cuda/banded_matrix.cu"

#include <cstdint>
#include <cstdio>

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s IN OUT\n", argv[0]); return 2; }
    FILE *in = fopen(argv[1], "rb");
    int32_t h[7];
    if (fread(h, sizeof(int32_t), 7, in) != 7) return 2;
    const int batch = h[0], n = h[1], x_lu = h[2], x_ld = h[3], y_lu = h[4], y_ld = h[5], semiring = h[6];
    const long long xs = (long long)batch * n * (x_lu + x_ld + 1), ys = (long long)batch * n * (y_lu + y_ld + 1);
    const long long zs = (long long)batch * n * (x_lu + y_ld + x_ld + y_lu + 1);
    std::vector<float> x(xs + 1), y(ys + 1), z(zs + 1);
    if (fread(x.data(), sizeof(float), xs, in) != (size_t)xs || fread(y.data(), sizeof(float), ys, in) != (size_t)ys) return 2;
    fclose(in);
    const unsigned threads = 32;
    const unsigned blocks = (unsigned)((zs + threads - 1) / threads);
    emu_launch(blocks, threads, [&] {
        banded_multiply(x.data(), y.data(), z.data(), batch, n, x_lu, x_ld, y_lu, y_ld, semiring);
    });
    FILE *out = fopen(argv[2], "wb");
    fwrite(z.data(), sizeof(float), zs, out);
    fclose(out);
    return 0;
}
