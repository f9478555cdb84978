package org.lgsr.cli;

import java.io.PrintWriter;
import org.lgsr.data.DataException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code lgsr} command. Bad input of any kind (flags, files, data) ends with one line on
 * stderr naming the flag or file and the problem, and exit code 2; no stack trace.
 */
@Command(name = "lgsr", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "LGSR session-based recommendation: datasets, baselines, training and evaluation.",
        subcommands = {TrainCommand.class, EvaluateCommand.class, RecommendCommand.class, AttentionCommand.class, ExportCommand.class, DatasetsCommand.class,
                PreprocessCommand.class,
                SynthCommand.class, BaselineCommand.class, ExperimentCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    public static final int EXIT_BAD_INPUT = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is needed");
    }

    public static void main(String[] args) {
        int code;
        try {
            code = execute(args);
        } catch (OutOfMemoryError e) {
            System.err.println("lgsr: error: out of memory; give the JVM more heap (LGSR_JAVA_OPTS=-Xmx16g)");
            code = 1;
        }
        System.exit(code);
    }

    /** Runs the command line and returns the exit code (for tests). */
    public static int execute(String... args) {
        CommandLine cl = commandLine();
        return cl.execute(args);
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setOverwrittenOptionsAllowed(true); // a repeated option: the last one wins
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            PrintWriter err = c.getErr();
            String msg = ex.getMessage();
            if (!(ex instanceof CommandLine.UnmatchedArgumentException) && c.getParseResult() != null
                    && !c.getParseResult().unmatched().isEmpty()) {
                msg = "unknown option or argument: '" + c.getParseResult().unmatched().get(0) + "'";
            }
            err.println("lgsr: error: " + oneLine(msg) + " (see '" + c.getCommandSpec().qualifiedName() + " --help')");
            err.flush();
            return EXIT_BAD_INPUT;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            PrintWriter err = c.getErr();
            if (ex instanceof UnsupportedOperationException) {
                err.println("lgsr: not implemented: " + oneLine(ex.getMessage()));
                err.flush();
                return 3;
            }
            if (ex instanceof DataException || ex instanceof IllegalArgumentException) {
                err.println("lgsr: error: " + oneLine(ex.getMessage()));
                err.flush();
                return EXIT_BAD_INPUT;
            }
            err.println("lgsr: internal error: " + ex.getClass().getName() + ": " + oneLine(ex.getMessage()));
            if (System.getenv("LGSR_DEBUG") != null) ex.printStackTrace(err);
            else err.println("lgsr: set LGSR_DEBUG=1 for the stack trace");
            err.flush();
            return 1;
        });
        return cl;
    }

    static String oneLine(String s) {
        return s == null ? "(no detail)" : s.strip().replaceAll("\\s*\\n\\s*", "; ");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            java.util.Properties p = new java.util.Properties();
            try (java.io.InputStream in = Main.class.getResourceAsStream("/lgsr-version.properties")) {
                if (in != null) p.load(in);
            } catch (java.io.IOException ignored) {
                // the fallback below says what is missing
            }
            String v = p.getProperty("version", "(version unknown: built without Maven)");
            return new String[] {"lgsr " + v + ", commit " + p.getProperty("commit", "unknown"),
                    "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
