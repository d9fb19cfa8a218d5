package dev.edgerun.devices.providers;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Extracts ONNX Runtime's native libraries once into
 * {@code ~/.cache/edgerun/onnxruntime/<artifact>-<version>/<platform>/} and points ONNX Runtime's
 * loader at that folder ({@code onnxruntime.native.path}), instead of ONNX Runtime extracting 20+
 * MiB into a fresh temporary folder at every start.
 *
 * <p>Does nothing when {@code onnxruntime.native.path} is already set, when
 * {@code -Dedgerun.ort.cache=false}, or when the cache folder cannot be written (ONNX Runtime then
 * extracts as usual). The cache root is {@code $XDG_CACHE_HOME/edgerun} or {@code ~/.cache/edgerun},
 * or the system property {@code edgerun.cache}.
 */
public final class NativeLibraryCache {
    private static final String PROPERTY = "onnxruntime.native.path";
    private static final List<String> LIBRARIES = List.of("onnxruntime", "onnxruntime4j_jni",
            "onnxruntime_providers_shared", "onnxruntime_providers_cuda", "onnxruntime_providers_tensorrt",
            "onnxruntime_providers_dnnl", "onnxruntime_providers_openvino", "onnxruntime_providers_rocm");
    private static volatile Path folder;
    private static boolean attempted;

    private NativeLibraryCache() {
    }

    /** Sets {@code onnxruntime.native.path} to the cache folder, extracting into it first if needed. */
    public static synchronized void useStableFolder() {
        if (attempted) return;
        attempted = true;
        if (System.getProperty(PROPERTY) != null || "false".equals(System.getProperty("edgerun.ort.cache"))) return;
        String platform = platform();
        String version = ortBuild();
        if (platform == null || version == null) return;
        Path dir = cacheRoot().resolve("onnxruntime").resolve(version).resolve(platform);
        try {
            List<String> extracted = extract(platform, dir);
            if (extracted.isEmpty()) return; // no bundled libraries: a system install is used
            System.setProperty(PROPERTY, dir.toString());
            folder = dir;
        } catch (IOException e) {
            System.getLogger("dev.edgerun.devices").log(System.Logger.Level.DEBUG,
                    "ONNX Runtime library cache " + dir + " not usable (" + e + "); ONNX Runtime extracts as usual");
        }
    }

    /** The folder in use, or null when ONNX Runtime extracts its libraries itself. */
    public static Path folder() {
        return folder;
    }

    /** Copies each bundled library of {@code platform} into {@code dir} unless a file of the same size is there. */
    private static List<String> extract(String platform, Path dir) throws IOException {
        List<String> r = new ArrayList<>();
        ClassLoader cl = NativeLibraryCache.class.getClassLoader();
        for (String lib : LIBRARIES) {
            String file = fileName(lib);
            URL url = cl.getResource("ai/onnxruntime/native/" + platform + "/" + file);
            if (url == null) continue;
            Files.createDirectories(dir);
            Path target = dir.resolve(file);
            URLConnection c = url.openConnection();
            long size = c.getContentLengthLong();
            if (!Files.isRegularFile(target) || Files.size(target) != size) {
                Path tmp = Files.createTempFile(dir, file, ".part");
                try (InputStream in = c.getInputStream()) {
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } finally {
                    Files.deleteIfExists(tmp);
                }
            } else {
                c.getInputStream().close();
            }
            r.add(file);
        }
        return r;
    }

    private static Path cacheRoot() {
        String p = System.getProperty("edgerun.cache");
        if (p != null) return Path.of(p);
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) return Path.of(xdg, "edgerun");
        return Path.of(System.getProperty("user.home"), ".cache", "edgerun");
    }

    /** {@code onnxruntime-1.23.2} or {@code onnxruntime_gpu-1.23.2}, from the artifact's bundled pom. */
    static String ortBuild() {
        String artifact = ProviderStatus.loadedArtifact();
        URL pom = NativeLibraryCache.class.getClassLoader()
                .getResource("META-INF/maven/com.microsoft.onnxruntime/" + artifact + "/pom.xml");
        if (pom == null) return null;
        try (InputStream in = pom.openStream()) {
            String xml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            Matcher m = Pattern.compile("<artifactId>" + Pattern.quote(artifact) + "</artifactId>\\s*<version>([^<]+)</version>")
                    .matcher(xml);
            return m.find() ? artifact + "-" + m.group(1).trim() : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** ONNX Runtime's folder name for this OS and CPU, e.g. {@code linux-x64}, or null. */
    static String platform() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        String a = switch (arch) {
            case "amd64", "x86_64" -> "x64";
            case "aarch64", "arm64" -> "aarch64";
            default -> null;
        };
        if (a == null) return null;
        if (os.contains("linux")) return "linux-" + a;
        if (os.contains("mac") || os.contains("darwin")) return "osx-" + a;
        if (os.contains("win")) return "win-" + a;
        return null;
    }

    private static String fileName(String lib) {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        if (os.contains("win")) return lib + ".dll";
        if (os.contains("mac") || os.contains("darwin")) return "lib" + lib + ".dylib";
        return "lib" + lib + ".so";
    }
}
