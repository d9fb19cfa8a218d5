# Generates the committed test clips (16 kHz mono 16-bit) with espeak-ng; rerun to regenerate.
set -e
gen() { espeak-ng -v en -s 150 -w /tmp/raw.wav "$2"; python3 - "$1" <<'PY'
import sys, wave, audioop
with wave.open('/tmp/raw.wav') as r:
    ch, w, rate, n = r.getnchannels(), r.getsampwidth(), r.getframerate(), r.getnframes()
    data = r.readframes(n)
if ch == 2: data = audioop.tomono(data, w, 0.5, 0.5)
data, _ = audioop.ratecv(data, w, 1, rate, 16000, None)
with wave.open(sys.argv[1], 'wb') as o:
    o.setnchannels(1); o.setsampwidth(2); o.setframerate(16000); o.writeframes(data)
PY
}
gen yes_no.wav "yes. no."
gen go_stop_go.wav "go. stop. go."
gen hello_edge.wav "hello edge run, turn on the lights."
