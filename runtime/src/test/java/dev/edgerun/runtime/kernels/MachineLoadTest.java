package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class MachineLoadTest {
    @Test
    void parsesTheFiguresOfProcLoadavgAsParseDoubleDoes() {
        for (String figure : new String[] {"0.00", "7.37", "12.05", "0.5", "3", "100.99", "2.000001"}) {
            assertEquals(Double.parseDouble(figure), MachineLoad.parseLoad(figure), 1e-12, figure);
        }
    }

    @Test
    void rejectsWhatIsNotALoadFigure() {
        for (String figure : new String[] {"", ".5", "-1.0", "1e3", "1.2.3", "abc", "NaN", "1.x"}) {
            assertThrows(NumberFormatException.class, () -> MachineLoad.parseLoad(figure), figure);
        }
    }
}
