package org.bandalign.cpu;

import org.bandalign.align.Aligner;
import org.bandalign.align.AlignerContractTest;

/** The backend contract on the CPU engine, with four worker threads. */
class CpuAlignerContractTest extends AlignerContractTest {
    @Override
    protected Aligner newAligner() {
        return Aligner.cpu(4);
    }
}
