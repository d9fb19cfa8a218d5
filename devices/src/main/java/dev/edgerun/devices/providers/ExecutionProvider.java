package dev.edgerun.devices.providers;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.providers.CoreMLFlags;
import ai.onnxruntime.providers.NNAPIFlags;
import ai.onnxruntime.providers.OrtCUDAProviderOptions;
import ai.onnxruntime.providers.OrtTensorRTProviderOptions;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The catalogue of ONNX Runtime execution providers Edgerun can ask for, each with the device name
 * used on the command line ({@code --device cuda}), the options it accepts and how they map onto
 * ONNX Runtime's session options, and what to install when the loaded build lacks it.
 *
 * <p>Options come from {@code SessionOptions.providerOptions()} as {@code DEVICE.KEY=VALUE}, e.g.
 * {@code cuda.device_id=1}, {@code cuda.gpu_mem_limit=2147483648}, {@code tensorrt.trt_fp16_enable=1},
 * {@code nnapi.flags=USE_FP16,CPU_DISABLED}, {@code xnnpack.intra_op_num_threads=2}.
 */
public enum ExecutionProvider {
    CPU("cpu", OrtProvider.CPU, Set.of("use_arena"),
            "always part of ONNX Runtime"),
    CUDA("cuda", OrtProvider.CUDA, Set.of("device_id", "gpu_mem_limit", "arena_extend_strategy",
            "cudnn_conv_algo_search", "do_copy_in_default_stream", "use_tf32"),
            "build with ./mvnw -Pcuda (artifact com.microsoft.onnxruntime:onnxruntime_gpu) and install CUDA 12.x"
                    + " and cuDNN 9.x, which ONNX Runtime 1.23 needs, with an NVIDIA driver"),
    TENSORRT("tensorrt", OrtProvider.TENSOR_RT, Set.of("device_id", "trt_fp16_enable", "trt_int8_enable",
            "trt_engine_cache_enable", "trt_engine_cache_path", "trt_max_workspace_size"),
            "build with ./mvnw -Pcuda (artifact com.microsoft.onnxruntime:onnxruntime_gpu) and install TensorRT 10.x"
                    + " with CUDA 12.x and cuDNN 9.x"),
    ROCM("rocm", OrtProvider.ROCM, Set.of("device_id"),
            "ONNX Runtime built from source with --use_rocm on a machine with an AMD GPU and ROCm"
                    + " (no ROCm artifact is published on Maven Central)"),
    DNNL("dnnl", OrtProvider.DNNL, Set.of("use_arena"),
            "ONNX Runtime built from source with --use_dnnl (oneDNN)"),
    OPENVINO("openvino", OrtProvider.OPEN_VINO, Set.of("device_type"),
            "ONNX Runtime built with --use_openvino and Intel's OpenVINO runtime installed"),
    DIRECTML("directml", OrtProvider.DIRECT_ML, Set.of("device_id"),
            "Windows only: ONNX Runtime built with --use_dml (DirectML)"),
    NNAPI("nnapi", OrtProvider.NNAPI, Set.of("flags"),
            "NNAPI exists only in ONNX Runtime's Android build (com.microsoft.onnxruntime:onnxruntime-android,"
                    + " SessionOptions.addNnapi() in an Android app); no JVM build has it"),
    COREML("coreml", OrtProvider.CORE_ML, Set.of("flags"),
            "CoreML exists only in ONNX Runtime's macOS and iOS builds"),
    XNNPACK("xnnpack", OrtProvider.XNNPACK, Set.of("intra_op_num_threads"),
            "ONNX Runtime built with --use_xnnpack (the Android package includes it)"),
    QNN("qnn", OrtProvider.QNN, Set.of("backend_path", "htp_performance_mode", "enable_htp_fp16_precision"),
            "ONNX Runtime built with --use_qnn and Qualcomm's QNN SDK, on a Snapdragon device"),
    ACL("acl", OrtProvider.ACL, Set.of("fast_math"),
            "ONNX Runtime built with --use_acl (Arm Compute Library) for an Arm board"),
    ARMNN("armnn", OrtProvider.ARM_NN, Set.of("use_arena"),
            "ONNX Runtime built with --use_armnn (Arm NN) for an Arm board"),
    WEBGPU("webgpu", OrtProvider.WEBGPU, Set.of("deviceId", "preferredLayout"),
            "ONNX Runtime built with --use_webgpu (Dawn)");

    private final String device;
    private final OrtProvider ort;
    private final Set<String> optionKeys;
    private final String install;

    ExecutionProvider(String device, OrtProvider ort, Set<String> optionKeys, String install) {
        this.device = device;
        this.ort = ort;
        this.optionKeys = optionKeys;
        this.install = install;
    }

    /** The name used with {@code --device}. */
    public String device() {
        return device;
    }

    public OrtProvider ortProvider() {
        return ort;
    }

    /** Keys this provider accepts as {@code DEVICE.KEY=VALUE} provider options. */
    public Set<String> optionKeys() {
        return optionKeys;
    }

    /** What makes this provider available. */
    public String install() {
        return install;
    }

    /** What a build that has this provider still needs at run time, for when appending it fails. */
    public String runtimeNeeds() {
        return switch (this) {
            case CUDA -> "install CUDA 12.x and cuDNN 9.x (ONNX Runtime 1.23 needs both) and an NVIDIA driver, with their"
                    + " libraries on the loader path (LD_LIBRARY_PATH)";
            case TENSORRT -> "install TensorRT 10.x, CUDA 12.x and cuDNN 9.x and an NVIDIA driver, with their libraries on"
                    + " the loader path (LD_LIBRARY_PATH)";
            default -> install;
        };
    }

    /** The provider called {@code device} (case-insensitive), or an exception listing the known names. */
    public static ExecutionProvider byDevice(String device) {
        String d = device.trim().toLowerCase(Locale.ROOT);
        for (ExecutionProvider p : values()) if (p.device.equals(d)) return p;
        throw new IllegalArgumentException("unknown device '" + device + "'; expected one of " + deviceNames());
    }

    public static List<String> deviceNames() {
        return java.util.Arrays.stream(values()).map(ExecutionProvider::device).toList();
    }

    /** This provider's options out of all provider options ({@code DEVICE.KEY=VALUE}), without the prefix. */
    public Map<String, String> optionsFrom(Map<String, String> providerOptions) {
        Map<String, String> r = new LinkedHashMap<>();
        String prefix = device + ".";
        for (var e : providerOptions.entrySet()) {
            if (!e.getKey().startsWith(prefix)) continue;
            String key = e.getKey().substring(prefix.length());
            if (!optionKeys.contains(key)) {
                throw new IllegalArgumentException("provider option '" + e.getKey() + "': " + device
                        + " accepts " + optionKeys.stream().sorted().map(k -> prefix + k).toList());
            }
            r.put(key, e.getValue());
        }
        return r;
    }

    /** True when {@code key} is meant for some provider ({@code DEVICE.KEY}), not an ONNX Runtime config entry. */
    public static boolean isProviderOption(String key) {
        int dot = key.indexOf('.');
        if (dot < 0) return false;
        String d = key.substring(0, dot);
        for (ExecutionProvider p : values()) if (p.device.equals(d)) return true;
        return false;
    }

    /**
     * Appends this provider to {@code so} with {@code options} (keys without the device prefix).
     * {@code threads} is the session's intra-op thread count, used where a provider has its own pool.
     */
    public void appendTo(OrtSession.SessionOptions so, Map<String, String> options, int threads) throws OrtException {
        switch (this) {
            case CPU -> so.addCPU(bool(options, "use_arena", true));
            case CUDA -> {
                try (OrtCUDAProviderOptions o = new OrtCUDAProviderOptions(integer(options, "device_id", 0))) {
                    for (var e : options.entrySet()) if (!e.getKey().equals("device_id")) o.add(e.getKey(), e.getValue());
                    so.addCUDA(o);
                }
            }
            case TENSORRT -> {
                try (OrtTensorRTProviderOptions o = new OrtTensorRTProviderOptions(integer(options, "device_id", 0))) {
                    for (var e : options.entrySet()) if (!e.getKey().equals("device_id")) o.add(e.getKey(), e.getValue());
                    so.addTensorrt(o);
                }
            }
            case ROCM -> so.addROCM(integer(options, "device_id", 0));
            case DNNL -> so.addDnnl(bool(options, "use_arena", true));
            case OPENVINO -> so.addOpenVINO(options.getOrDefault("device_type", "CPU"));
            case DIRECTML -> so.addDirectML(integer(options, "device_id", 0));
            case NNAPI -> so.addNnapi(flags(NNAPIFlags.class, options.get("flags")));
            case COREML -> so.addCoreML(flags(CoreMLFlags.class, options.get("flags")));
            case XNNPACK -> {
                Map<String, String> o = new LinkedHashMap<>(options);
                if (threads > 0) o.putIfAbsent("intra_op_num_threads", Integer.toString(threads));
                so.addXnnpack(o);
            }
            case QNN -> so.addQnn(options);
            case ACL -> so.addACL(bool(options, "fast_math", false));
            case ARMNN -> so.addArmNN(bool(options, "use_arena", true));
            case WEBGPU -> so.addWebGPU(options);
        }
    }

    private static boolean bool(Map<String, String> options, String key, boolean dflt) {
        String v = options.get(key);
        if (v == null) return dflt;
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "1", "true", "yes" -> true;
            case "0", "false", "no" -> false;
            default -> throw new IllegalArgumentException("provider option " + key + "=" + v + ": expected 1/0 or true/false");
        };
    }

    private static int integer(Map<String, String> options, String key, int dflt) {
        String v = options.get(key);
        if (v == null) return dflt;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("provider option " + key + "=" + v + ": expected an integer");
        }
    }

    private static <E extends Enum<E>> EnumSet<E> flags(Class<E> type, String list) {
        EnumSet<E> r = EnumSet.noneOf(type);
        if (list == null || list.isBlank()) return r;
        for (String f : list.split(",")) {
            try {
                r.add(Enum.valueOf(type, f.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("flag '" + f.trim() + "': expected one of "
                        + EnumSet.allOf(type), e);
            }
        }
        return r;
    }
}
