/*
 * Runs banded_align.cu's kernels in the CPU emulator on one launch read from a file and writes
 * what the kernels wrote, for CudaKernelEmulationTest:
 *   banded_align_emulator IN OUT THREADS [global] [prefetch | split=SLICES]
 * ("global": the rolling anti-diagonals live in a global scratch area, the kernels' fallback when
 * they do not fit in shared memory, and a block that writes outside its own slice of it stops
 * the emulator, as on a GPU it would race with the block that owns it; "prefetch": banded_forward_backward_prefetch instead of
 * banded_forward_backward; "split=SLICES": banded_alpha_beta then banded_marginals with SLICES
 * blocks a pair instead.)
 * IN  (little-endian): int32 what (1 forward-backward, 2 Viterbi, 3 both), int32 count,
 *     int64 descLongs, desc[], int64 scoreFloats, scores[], int64 outFloats, int64 cells,
 *     int64 pathBytes.
 * OUT: forward-backward: marginals[outFloats] (float), logZ[count] (double); then Viterbi:
 *     best[count] (double), end[2 count] (int32), len[count] (int32), path[pathBytes]; then
 *     bad[count] (int32: first bad score's index, INT_MAX for none), shared by both kernels.
 */
#include "cuda_emulator.h"
#include "../../main/cuda/banded_align.cu"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

template <typename T> static std::vector<T> read_array(FILE *f, int64_t n) {
    std::vector<T> v(n > 0 ? n : 1);
    if (n > 0 && fread(v.data(), sizeof(T), n, f) != (size_t)n) { fprintf(stderr, "short read\n"); exit(2); }
    return v;
}

template <typename T> static T read_one(FILE *f) { return read_array<T>(f, 1)[0]; }

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s IN OUT THREADS [global] [prefetch]\n", argv[0]); return 2; }
    bool global_roll = false, prefetch = false;
    int slices = 0;   /* split variant when > 0 */
    for (int a = 4; a < argc; a++) {
        if (std::string(argv[a]) == "global") global_roll = true;
        else if (std::string(argv[a]) == "prefetch") prefetch = true;
        else if (std::string(argv[a]).rfind("split=", 0) == 0) slices = atoi(argv[a] + 6);
        else { fprintf(stderr, "unknown option %s\n", argv[a]); return 2; }
    }
    FILE *in = fopen(argv[1], "rb");
    FILE *out = fopen(argv[2], "wb");
    unsigned threads = (unsigned)atoi(argv[3]);
    int32_t what = read_one<int32_t>(in);
    int32_t count = read_one<int32_t>(in);
    std::vector<long long> desc = read_array<long long>(in, read_one<int64_t>(in));
    std::vector<float> scores = read_array<float>(in, read_one<int64_t>(in));
    int64_t out_floats = read_one<int64_t>(in);
    int64_t cells = read_one<int64_t>(in);
    int64_t path_bytes = read_one<int64_t>(in);
    fclose(in);
    const long long roll_len = count > 0 ? desc[12] : 0;   /* D_ROLL_LEN, the same for every pair */
    /* Scratch starts as garbage, as on a GPU, so a read before a write shows. */
    /* (the split variant's first kernel runs two blocks a pair) */
    std::vector<double> roll(global_roll ? (size_t)count * 24 * roll_len : 1, std::nan(""));
    double *roll_ptr = global_roll ? roll.data() : nullptr;
    /* Each block's global rolling state is its own slice (stride doubles from block * stride):
       on a GPU blocks run at once, so a write outside it would race with another block. */
    std::vector<double> snapshot;
    size_t stride = 0;
    const char *kernel_name = "";
    if (global_roll) {
        emu_before_block = [&](unsigned) { snapshot = roll; };
        emu_after_block = [&](unsigned b) {
            const size_t own = (size_t)b * stride, end = own + stride;
            for (size_t q = 0; q < roll.size(); q++) {
                if ((q < own || q >= end) && std::memcmp(&roll[q], &snapshot[q], sizeof(double)) != 0) {
                    fprintf(stderr, "emulator: %s block %u wrote global rolling state at %zu, outside its slice [%zu, %zu)\n",
                            kernel_name, b, q, own, end);
                    abort();
                }
            }
        };
    }
    std::vector<int> bad(count > 0 ? count : 1, INT_MAX);
    if (what & 1) {
        std::vector<float> marginals(out_floats > 0 ? out_floats : 1, 0.0f);   /* zeroed, as the host zeroes it */
        std::vector<double> alpha(cells > 0 ? cells : 1, std::nan(""));
        std::vector<double> log_z(count);
        std::vector<double> beta(cells > 0 ? cells : 1, std::nan(""));
        stride = 12 * (size_t)roll_len;
        kernel_name = slices > 0 ? "banded_alpha_beta_global" : "banded_forward_backward";
        if (slices > 0) {
            emu_launch(2 * count, threads, [&] {
                if (global_roll) {
                    banded_alpha_beta_global(desc.data(), scores.data(), alpha.data(), beta.data(), log_z.data(), roll_ptr,
                                             bad.data(), count);
                } else {
                    banded_alpha_beta(desc.data(), scores.data(), alpha.data(), beta.data(), log_z.data(), roll_ptr, bad.data(),
                                      count);
                }
            });
            kernel_name = "banded_marginals";   /* (no rolling state: it must write none) */
            stride = 0;
            emu_launch(count * slices, threads, [&] {
                banded_marginals(desc.data(), scores.data(), marginals.data(), alpha.data(), beta.data(), log_z.data(), bad.data(),
                                 slices);
            });
        } else emu_launch(count, threads, [&] {
            if (prefetch) {
                banded_forward_backward_prefetch(desc.data(), scores.data(), marginals.data(), alpha.data(), log_z.data(), roll_ptr,
                                                 bad.data());
            } else {
                banded_forward_backward(desc.data(), scores.data(), marginals.data(), alpha.data(), log_z.data(), roll_ptr, bad.data());
            }
        });
        fwrite(marginals.data(), sizeof(float), out_floats, out);
        fwrite(log_z.data(), sizeof(double), count, out);
    }
    if (what & 2) {
        std::vector<unsigned char> back(cells > 0 ? cells : 1, 0xAB);
        std::vector<double> best(count);
        std::vector<int> end(2 * count), len(count);
        std::vector<unsigned char> path(path_bytes > 0 ? path_bytes : 1);
        stride = 3 * (size_t)roll_len;
        kernel_name = "banded_viterbi_global";
        emu_launch(count, threads, [&] {
            if (global_roll) {
                banded_viterbi_global(desc.data(), scores.data(), back.data(), best.data(), end.data(), len.data(), path.data(),
                                      roll_ptr, bad.data());
            } else {
                banded_viterbi(desc.data(), scores.data(), back.data(), best.data(), end.data(), len.data(), path.data(), roll_ptr,
                               bad.data());
            }
        });
        fwrite(best.data(), sizeof(double), count, out);
        fwrite(end.data(), sizeof(int), 2 * count, out);
        fwrite(len.data(), sizeof(int), count, out);
        fwrite(path.data(), 1, path_bytes, out);
    }
    fwrite(bad.data(), sizeof(int), count, out);
    fclose(out);
    return 0;
}
