package org.bandalign.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class FastExpTest {
    @Test
    void expNonPositive_acrossItsRange_isWithinFourUlpsOfMathExp() {
        Random rnd = new Random(1);
        double worst = 0;
        for (int q = 0; q < 2_000_000; q++) {
            double x = q < 1_000_000 ? -rnd.nextDouble() * 700 : -rnd.nextDouble() * 2;
            double expected = Math.exp(x);
            double rel = Math.abs(FastExp.expNonPositive(x) - expected) / expected;
            worst = Math.max(worst, rel);
        }
        assertTrue(worst < 4 * Math.ulp(1.0), "worst relative error " + worst);
    }

    @Test
    void expNonPositive_atTheEdges_isExact() {
        assertEquals(1.0, FastExp.expNonPositive(0.0), 0.0);
        assertEquals(1.0, FastExp.expNonPositive(-0.0), 0.0);
        assertEquals(0.0, FastExp.expNonPositive(Double.NEGATIVE_INFINITY), 0.0);
        assertEquals(0.0, FastExp.expNonPositive(-700.5), 0.0);
        assertEquals(Math.exp(-700.0), FastExp.expNonPositive(-700.0), Math.exp(-700.0) * 1e-15);
        assertEquals(Math.exp(-Math.log(2)), FastExp.expNonPositive(-Math.log(2)), 1e-16);
    }
}
