package org.bandalign.cuda;

import static org.bandalign.cuda.CudaException.check;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * A compiled kernel file shipped on the class path ({@code org/bandalign/cuda/NAME.fatbin},
 * built from {@code src/main/cuda/NAME.cu}), loaded once per context with
 * {@code cuModuleLoadDataEx}; function handles are cached.
 */
final class KernelModule {
    private final CUmodule module = new CUmodule();
    private final Map<String, CUfunction> functions = new HashMap<>();

    /** Driver results that mean "this driver cannot run these binaries", not a bug. */
    private static final Set<Integer> DRIVER_TOO_OLD = Set.of(CUresult.CUDA_ERROR_NO_BINARY_FOR_GPU,
            CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION, CUresult.CUDA_ERROR_INVALID_PTX,
            CUresult.CUDA_ERROR_JIT_COMPILER_NOT_FOUND, CUresult.CUDA_ERROR_JIT_COMPILATION_DISABLED,
            CUresult.CUDA_ERROR_INVALID_IMAGE, CUresult.CUDA_ERROR_INVALID_SOURCE);

    /**
     * Loads {@code NAME.fatbin}.
     *
     * @throws CudaUnavailableException when the driver cannot run the shipped binaries (too old
     *                                  for the CUDA 13 toolchain that built them, or a GPU older
     *                                  than compute capability 7.5)
     */
    KernelModule(String name) {
        byte[] image = resource(name + ".fatbin");
        int result = JCudaDriver.cuModuleLoadDataEx(module, Pointer.to(image), 0, new int[0], Pointer.to(new int[0]));
        if (DRIVER_TOO_OLD.contains(result)) {
            throw new CudaUnavailableException("the NVIDIA driver cannot load BandAlign's kernels (" + name
                    + ".fatbin: SASS for sm_80 and sm_90, PTX for compute_75, built with CUDA 13, which needs driver "
                    + "R580 or newer, on a GPU of compute capability 7.5 or newer): " + CUresult.stringFor(result));
        }
        check(result, "cuModuleLoadDataEx(" + name + ".fatbin)");
    }

    synchronized CUfunction function(String symbol) {
        return functions.computeIfAbsent(symbol, s -> {
            CUfunction f = new CUfunction();
            check(JCudaDriver.cuModuleGetFunction(f, module, s), "cuModuleGetFunction(" + s + ")");
            return f;
        });
    }

    /** Unloads the module (its context must be current); its function handles die with it. */
    synchronized void close() {
        functions.clear();
        JCudaDriver.cuModuleUnload(module);   // (on a context a kernel fault broke this fails; nothing more to free)
    }

    static byte[] resource(String file) {
        try (InputStream in = KernelModule.class.getResourceAsStream(file)) {
            if (in == null) {
                throw new IllegalStateException("kernel binary org/bandalign/cuda/" + file + " is missing from the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
