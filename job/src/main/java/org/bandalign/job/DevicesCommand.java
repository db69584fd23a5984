package org.bandalign.job;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.bandalign.cuda.CudaAligner;
import org.bandalign.cuda.CudaDevices;
import org.bandalign.cuda.CudaUnavailableException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code devices}: what the CUDA backend sees on this machine, to check a GPU node before a run:
 * the driver's version, each visible device with its ordinal, UUID and PCI bus id (so Spark's GPU
 * addresses can be matched to devices), and with {@code --kernels} whether the shipped kernels
 * load on each and what resources the driver gave them. Exit status 1, with the reason, where no
 * driver loads or it shows no device, and with {@code --kernels} also where no device can load
 * the kernels (the job's auto backend then uses the CPU).
 */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "List the CUDA devices this machine's driver shows (ordinal, UUID, PCI bus id); exit 1 with the reason if none.")
public final class DevicesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--kernels", description = "Also load the alignment kernels on each device and print their registers, spills and code architecture.")
    boolean kernels;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        String visible = System.getenv("CUDA_VISIBLE_DEVICES");
        String order = System.getenv("CUDA_DEVICE_ORDER");
        List<CudaDevices.Device> devices;
        try {
            devices = CudaDevices.list();
            out.printf("CUDA driver %s, %d device%s visible (CUDA_VISIBLE_DEVICES=%s, CUDA_DEVICE_ORDER=%s)%n",
                    CudaDevices.driverVersion(), devices.size(), devices.size() == 1 ? "" : "s",
                    visible == null ? "unset" : visible, order == null ? "unset: FASTEST_FIRST" : order);
        } catch (CudaUnavailableException e) {
            out.flush();
            spec.commandLine().getErr().println("bandalign: " + e.getMessage() + "; --backend auto will use the CPU");
            return 1;
        }
        int failed = 0;
        for (CudaDevices.Device d : devices) {
            out.println(d);
            if (kernels) {
                try (CudaAligner aligner = CudaAligner.open(d.ordinal(), 0)) {
                    out.println("    kernels " + aligner.kernelImage() + ":");
                    aligner.kernelResources().lines().forEach(line -> out.println("    " + line));
                } catch (RuntimeException e) {   // unusable, or a driver error: the other devices still get listed
                    failed++;
                    out.println("    cannot be used: " + e.getMessage());
                }
            }
        }
        out.flush();
        return failed == devices.size() && kernels ? 1 : 0;
    }
}
