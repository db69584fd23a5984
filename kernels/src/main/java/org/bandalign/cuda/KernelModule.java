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
 * A compiled kernel file shipped on the class path, built from {@code src/main/cuda/NAME.cu} in
 * two sets ({@code build.sh}): {@code NAME.fatbin} by CUDA 13 (SASS for sm_80, sm_90, sm_100 and
 * sm_120, PTX for compute_75), which only drivers of CUDA 13 or newer (R580+) can load, and
 * {@code NAME.cuda12.fatbin} by CUDA 12.4 (SASS for sm_70, sm_75, sm_80 and sm_90, PTX for
 * compute_75) for CUDA 12 drivers (R525 to R575; GPUs without matching SASS JIT the PTX, which
 * needs R550+) and for Volta GPUs on any driver. The driver's version picks the set, unless
 * {@value #KERNELS_PROPERTY} names one. Loaded once
 * per context with {@code cuModuleLoadDataEx}; function handles are cached.
 */
final class KernelModule {
    /** System property: which build of the kernels to load: auto (by the driver's version), cuda13 or cuda12. */
    static final String KERNELS_PROPERTY = "bandalign.cuda.kernels";

    private final CUmodule module = new CUmodule();
    private final Map<String, CUfunction> functions = new HashMap<>();
    /** The class-path resource loaded, e.g. {@code banded_align.cuda12.fatbin}. */
    final String image;

    /** Driver results that mean "this driver cannot run these binaries", not a bug. */
    private static final Set<Integer> DRIVER_TOO_OLD = Set.of(CUresult.CUDA_ERROR_NO_BINARY_FOR_GPU,
            CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION, CUresult.CUDA_ERROR_INVALID_PTX,
            CUresult.CUDA_ERROR_JIT_COMPILER_NOT_FOUND, CUresult.CUDA_ERROR_JIT_COMPILATION_DISABLED,
            CUresult.CUDA_ERROR_INVALID_IMAGE, CUresult.CUDA_ERROR_INVALID_SOURCE);

    /**
     * Loads the build of {@code NAME} that this driver runs (its context must be current). Where
     * the CUDA 13 build has no code for the GPU (a Volta, sm_70, which CUDA 13 no longer
     * targets), and no build was asked for, the CUDA 12 build, which has, is loaded instead.
     *
     * @throws CudaUnavailableException when the driver is older than CUDA 12 or cannot run the
     *                                  shipped binaries (a GPU older than compute capability 7.0)
     */
    KernelModule(String name) {
        int[] version = new int[1];
        check(JCudaDriver.cuDriverGetVersion(version), "cuDriverGetVersion");
        String choice = System.getProperty(KERNELS_PROPERTY, "auto");
        String first = imageFor(name, version[0], choice);
        int result = load(first);
        String loaded = first;
        String tried = "";
        if (DRIVER_TOO_OLD.contains(result) && choice.equals("auto") && !first.endsWith(".cuda12.fatbin")) {
            tried = first + " first (" + CUresult.stringFor(result) + "), then ";
            loaded = name + ".cuda12.fatbin";
            result = load(loaded);
        }
        this.image = loaded;
        if (DRIVER_TOO_OLD.contains(result)) {
            throw new CudaUnavailableException("the NVIDIA driver (CUDA " + cudaVersion(version[0])
                    + ") cannot load BandAlign's kernels: tried " + tried + loaded + " (" + describe(loaded) + "): "
                    + CUresult.stringFor(result));
        }
        check(result, "cuModuleLoadDataEx(" + loaded + ")");
    }

    private int load(String resourceName) {
        byte[] bytes = resource(resourceName);
        return JCudaDriver.cuModuleLoadDataEx(module, Pointer.to(bytes), 0, new int[0], Pointer.to(new int[0]));
    }

    /**
     * The resource holding kernels {@code name} for a driver of CUDA version {@code driver}
     * (as {@code cuDriverGetVersion} gives it, e.g. 12040) under the {@value #KERNELS_PROPERTY}
     * setting {@code choice}.
     *
     * @throws CudaUnavailableException for a driver older than CUDA 12, or one older than CUDA 13 asked for the CUDA 13 build
     */
    static String imageFor(String name, int driver, String choice) {
        if (!Set.of("auto", "cuda13", "cuda12").contains(choice)) {
            throw new IllegalArgumentException(KERNELS_PROPERTY + " must be auto, cuda13 or cuda12, not " + choice);
        }
        if (driver < 12000) {
            throw new CudaUnavailableException("the NVIDIA driver supports CUDA " + cudaVersion(driver)
                    + " only; BandAlign's kernels need a CUDA 12 driver (R525 or newer) or a CUDA 13 one (R580 or newer)");
        }
        boolean cuda13 = choice.equals("cuda13") || choice.equals("auto") && driver >= 13000;
        if (cuda13 && driver < 13000) {
            throw new CudaUnavailableException(KERNELS_PROPERTY + "=cuda13, but the NVIDIA driver supports CUDA "
                    + cudaVersion(driver) + " only (the CUDA 13 build needs R580 or newer)");
        }
        return name + (cuda13 ? ".fatbin" : ".cuda12.fatbin");
    }

    private static String describe(String image) {
        return image.endsWith(".cuda12.fatbin")
                ? "SASS for sm_70, sm_75, sm_80 and sm_90 and PTX for compute_75 built with CUDA 12.4, which needs driver R525 "
                        + "or newer, R550 or newer where the PTX is compiled, and a GPU of compute capability 7.0 or newer"
                : "SASS for sm_80, sm_90, sm_100 and sm_120 and PTX for compute_75 built with CUDA 13, which needs driver "
                        + "R580 or newer and a GPU of compute capability 7.5 or newer";
    }

    /** 12040 as "12.4". */
    static String cudaVersion(int driver) {
        return driver / 1000 + "." + driver % 1000 / 10;
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
