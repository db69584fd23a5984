package org.bandalign.cuda;

import org.bandalign.align.Aligner;
import org.bandalign.align.AlignerContractTest;

/** The backend contract, unchanged, on CUDA device 0; skipped where no GPU is present. */
class CudaAlignerContractTest extends AlignerContractTest {
    @Override
    protected Aligner newAligner() {
        CudaTestSupport.assumeGpu();
        return Aligner.cuda(0);
    }
}
