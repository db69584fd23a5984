package org.bandalign.cuda;

import static org.bandalign.cuda.CudaException.check;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

/**
 * A compiled kernel file shipped on the class path ({@code org/bandalign/cuda/NAME.fatbin},
 * built from {@code src/main/cuda/NAME.cu}), loaded once per context with
 * {@code cuModuleLoadDataEx}; function handles are cached.
 */
final class KernelModule {
    private final CUmodule module = new CUmodule();
    private final Map<String, CUfunction> functions = new HashMap<>();

    KernelModule(String name) {
        byte[] image = resource(name + ".fatbin");
        check(JCudaDriver.cuModuleLoadDataEx(module, Pointer.to(image), 0, new int[0], Pointer.to(new int[0])),
                "cuModuleLoadDataEx(" + name + ".fatbin)");
    }

    synchronized CUfunction function(String symbol) {
        return functions.computeIfAbsent(symbol, s -> {
            CUfunction f = new CUfunction();
            check(JCudaDriver.cuModuleGetFunction(f, module, s), "cuModuleGetFunction(" + s + ")");
            return f;
        });
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
