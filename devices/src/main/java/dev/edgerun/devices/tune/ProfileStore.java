package dev.edgerun.devices.tune;

import dev.edgerun.runtime.io.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * Where tuning profiles live: {@code FOLDER/<first 16 hex digits of the model's SHA-256>.json}, with
 * FOLDER {@code $XDG_CONFIG_HOME/edgerun/profiles}, {@code ~/.config/edgerun/profiles}, or the system
 * property {@code edgerun.profiles}. Keyed by content, so a renamed or copied model finds its profile
 * and a changed model does not find a stale one.
 */
public final class ProfileStore {
    private final Path folder;

    public ProfileStore(Path folder) {
        this.folder = folder;
    }

    public static ProfileStore standard() {
        String p = System.getProperty("edgerun.profiles");
        if (p != null) return new ProfileStore(Path.of(p));
        String xdg = System.getenv("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
        return new ProfileStore(base.resolve("edgerun").resolve("profiles"));
    }

    public Path folder() {
        return folder;
    }

    public Path fileFor(String modelSha256) {
        return folder.resolve(modelSha256.substring(0, 16) + ".json");
    }

    /** Writes {@code p} (atomically) and returns its file. */
    public Path save(TuningProfile p) {
        Path f = fileFor(p.modelSha256());
        try {
            Files.createDirectories(folder);
            Path tmp = Files.createTempFile(folder, f.getFileName().toString(), ".part");
            Files.writeString(tmp, Json.write(p.toMap()), StandardCharsets.UTF_8);
            Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException("writing tuning profile " + f + ": " + e.getMessage(), e);
        }
    }

    /** The profile of {@code model}, when one was written for this exact file content. */
    public Optional<TuningProfile> find(Path model) {
        String sha = sha256(model);
        Path f = fileFor(sha);
        if (!Files.isRegularFile(f)) return Optional.empty();
        try {
            Map<String, Object> json;
            try {
                json = Json.parseObject(Files.readString(f), f.toString());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(f + ": not a tuning profile (" + e.getMessage()
                        + "); delete it and run edgerun tune again", e);
            }
            TuningProfile p = TuningProfile.fromMap(json, f.toString());
            return sha.equals(p.modelSha256()) ? Optional.of(p) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("reading tuning profile " + f + ": " + e.getMessage(), e);
        }
    }

    public static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) d.update(buf, 0, n);
            return HexFormat.of().formatHex(d.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
