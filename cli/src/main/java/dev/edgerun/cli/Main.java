package dev.edgerun.cli;

import dev.edgerun.runtime.EdgerunException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParseResult;

/**
 * The {@code edgerun} command. Exit status: 0 success, 1 a failed check, 2 a usage or input error
 * (one line on standard error; the stack trace only with {@code --verbose}), 3 an internal error.
 */
@Command(name = "edgerun", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Run, inspect, check and benchmark ONNX (and other importable) models on this device.",
        subcommands = {DemoCommand.class, InspectCommand.class, RunCommand.class, CheckCommand.class,
                BenchCommand.class, DevicesCommand.class, ConvertCommand.class, QuantizeCommand.class,
                FinetuneCommand.class, EvaluateCommand.class, TuneCommand.class, StartupTrainingCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    static final int OK = 0;
    static final int CHECK_FAILED = 1;
    static final int USAGE = 2;
    static final int INTERNAL = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine(new PrintWriter(System.out, true), new PrintWriter(System.err, true)).execute(args));
    }

    /** The configured command line writing to {@code out} and {@code err} (tests use this in-process). */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((e, args) -> {
            String verb = e.getCommandLine().getCommandSpec().qualifiedName();
            e.getCommandLine().getErr().println(verb + ": " + e.getMessage() + " (see '" + verb + " --help')");
            return USAGE;
        });
        cl.setExecutionExceptionHandler(Main::handle);
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    private static int handle(Exception e, CommandLine cl, ParseResult parsed) {
        PrintWriter err = cl.getErr();
        boolean userError = isUserError(e);
        String verb = cl.getCommandSpec().qualifiedName();
        err.println(verb + ": " + (userError ? "" : "internal error: ") + oneLine(e));
        if (verbose(parsed)) e.printStackTrace(err);
        else if (!userError) err.println("(run again with --verbose for the stack trace)");
        err.flush();
        return userError ? USAGE : INTERNAL;
    }

    private static boolean isUserError(Exception e) {
        return e instanceof EdgerunException || e instanceof IOException || e instanceof UncheckedIOException
                || e instanceof IllegalArgumentException || e instanceof CommandLine.ParameterException;
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) m = e.getClass().getSimpleName();
        else if (!(e instanceof EdgerunException)) m = m + " (" + e.getClass().getSimpleName() + ")";
        return m.replace('\n', ' ');
    }

    private static boolean verbose(ParseResult parsed) {
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) return true;
        }
        return false;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"edgerun " + (v == null ? "(development build)" : v) + ", Java " + Runtime.version()};
        }
    }
}
