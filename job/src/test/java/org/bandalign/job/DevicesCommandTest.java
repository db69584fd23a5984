package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.bandalign.cuda.CudaDevices;
import org.bandalign.cuda.CudaUnavailableException;
import org.bandalign.cuda.FakeCudaDriver;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code bandalign devices}: without a driver (the default test run here) it says why and exits
 * 1; in the emulated-gpu run it lists the stand-in driver's device with its UUID and, with
 * {@code --kernels}, the kernels the driver loaded; on a GPU machine it lists the real devices.
 */
class DevicesCommandTest {
    /** What one run printed, and its exit status. */
    record Run(int status, String out, String err) {
    }

    private static String unavailable;

    @BeforeAll
    static void driver() {
        if (FakeCudaDriver.requested()) {
            Assumptions.assumeTrue(FakeCudaDriver.load(), "the stand-in driver needs g++");
        }
        try {
            CudaDevices.list();
        } catch (CudaUnavailableException e) {
            unavailable = e.getMessage();
        }
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = BandAlign.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void withoutDriver_saysWhyAndExitsOne() {
        Assumptions.assumeTrue(unavailable != null, "a driver is present here");
        Run r = run("devices");
        assertEquals(1, r.status(), r.out() + r.err());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("bandalign: no CUDA") && r.err().strip().endsWith("--backend auto will use the CPU"), r.err());
    }

    @Test
    void withDriver_listsEachDeviceWithItsUuid_andItsKernelsOnRequest() {
        Assumptions.assumeTrue(unavailable == null, () -> "no driver here: " + unavailable);
        List<CudaDevices.Device> devices = CudaDevices.list();
        Run r = run("devices");
        assertEquals(0, r.status(), r.out() + r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(1 + devices.size(), lines.size(), r.out());
        assertTrue(lines.get(0).matches("CUDA driver \\d+\\.\\d+, " + devices.size() + " devices? visible \\(CUDA_VISIBLE_DEVICES=.*, CUDA_DEVICE_ORDER=.*\\)"),
                lines.get(0));
        for (CudaDevices.Device d : devices) {
            assertEquals(d.toString(), lines.get(1 + d.ordinal()));
            assertTrue(lines.get(1 + d.ordinal()).matches(d.ordinal() + ": .*, sm_\\d+, \\d+ SMs, ([0-9.]+ GiB|\\d+ MiB), GPU-[0-9a-f-]{36}, PCI .*"),
                    lines.get(1 + d.ordinal()));
        }
        if (FakeCudaDriver.requested()) {
            assertTrue(lines.get(1).startsWith("0: BandAlign CPU emulation") && lines.get(1).contains("GPU-00ba1a11-0000-4000-8000-000000000000"),
                    lines.get(1));
        }

        Run k = run("devices", "--kernels");
        assertEquals(0, k.status(), k.out() + k.err());
        List<String> kernelLines = k.out().lines().filter(l -> l.startsWith("    ")).toList();
        assertEquals(9 * devices.size(), kernelLines.size(), k.out());
        assertTrue(kernelLines.get(0).matches("    kernels banded_align(\\.cuda12)?\\.fatbin:"), kernelLines.get(0));
        assertTrue(kernelLines.get(1).matches("    banded_forward_backward: \\d+ registers, \\d+ B local, \\d+ B static shared, sm_\\d+"),
                kernelLines.get(1));
    }

    /**
     * The survey through a master ({@code --master local[2]} here: its tasks hold no GPU address,
     * so, as in an alignment job in local mode, auto takes device 0 where a driver loads): one
     * line a sight, exit 0 where the tasks get a GPU, else 1 saying how many do not.
     */
    @Test
    void survey_localMaster_reportsTheEngineTheTasksGet() {
        Run r = run("devices", "--master", "local[2]", "--tasks", "3");
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).equals("executors of local[2], as their alignment tasks see them:"), r.out());
        assertEquals(2, lines.size(), "one sight: " + r.out());
        if (unavailable == null) {
            assertEquals(0, r.status(), r.out() + r.err());
            assertTrue(lines.get(1).matches("executor driver on .*, GPU none: cuda:0 with banded_align(\\.cuda12)?\\.fatbin, 0: .*"),
                    lines.get(1));
        } else {
            assertEquals(1, r.status(), r.out() + r.err());
            assertTrue(lines.get(1).matches("executor driver on .*, GPU none: cpu \\(auto used the CPU: no CUDA.*"), lines.get(1));
            assertTrue(r.err().contains("1 of 1 executor and GPU address pairs would not align on a GPU"), r.err());
        }
        assertEquals(2, run("devices", "--master", "local[2]", "--tasks", "0").status());
        assertEquals(2, run("devices", "--master", "local[2]", "--backend", "cpu").status());
    }
}
