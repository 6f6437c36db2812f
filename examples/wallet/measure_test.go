package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zkcred/zkcred/examples/wallet/internal/core"
	"github.com/zkcred/zkcred/zkp"
)

// TestMeasureChromium measures the wallet for the default circuit shape
// in headless Chromium, and the same wallet code natively in the same
// run. It is not a pass/fail test: it logs the figures, labelled, and runs
// only when ZKCRED_WALLET_MEASURE names a default-shape Groth16 key
// directory (setting one up takes minutes; a directory written by the
// zkp key-load benchmark, ZKCRED_BENCH_KEYS=DIR go test -bench KeyLoad
// ./zkp, is DIR/<circuit version>/<shape>-groth16):
//
//	ZKCRED_WALLET_MEASURE=/tmp/zkkeys/zkcred-presentation-v3/s16-...-groth16 \
//	  go test -run TestMeasureChromium -v ./examples/wallet
//
// It logs: module and key bytes (raw and gzip), the first opening (module
// start, key bundle download and full check), a reopening (keys from the
// cache) followed by a proof (the "first proof after opening"), the proof
// time in Chromium and natively (the same core package, this process),
// the worker's WebAssembly memory and the renderer processes' peak RSS.
func TestMeasureChromium(t *testing.T) {
	keysDir := os.Getenv("ZKCRED_WALLET_MEASURE")
	if keysDir == "" {
		t.Skip("set ZKCRED_WALLET_MEASURE to a default-shape Groth16 key directory to measure the wallet in Chromium")
	}
	chromium := findChromium()
	if chromium == "" {
		t.Skip("no Chromium binary on PATH")
	}
	keys, err := zkp.LoadKeys(keysDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	shape := keys.VerifyingKey.Shape()
	var args []string
	if g := os.Getenv("ZKCRED_WALLET_GOGC"); g != "" {
		args = append(args, "-gogc", g) // the module's GOGC (wallet -gogc)
	}
	st := startStack(t, shape, keysDir, args...)
	t.Logf("wallet flags %v", args)
	wasm, bundle := fileFromServer(t, st.walletURL+"/wallet.wasm"), fileFromServer(t, st.walletURL+"/keys.bin")
	t.Logf("Chromium %s; shape %s (%d constraints)", chromiumVersion(chromium), shape, keys.Constraints())
	t.Logf("download: module %d bytes (gzip -9 %d), keys %d bytes (gzip -9 %d)", len(wasm), gzSize(wasm), len(bundle), gzSize(bundle))

	profile := t.TempDir()
	b := &browserWallet{t: t, ctx: newBrowserIn(t, chromium, profile)}
	t0 := time.Now()
	b.run("open", chromedp.Navigate(st.walletURL+"/"), chromedp.WaitVisible(chromedp.CSS(`body[data-keys="ready"]`)))
	t.Logf("first opening: keys ready %s after navigation; worker: %v", time.Since(t0).Round(time.Millisecond), b.timings())
	uri, pin := createOffer(t, st.issuerBin, st.issuerURL, st.agencyData, "citizen-1")
	b.receive(uri, pin, 1, false)
	vctx, vcancel := chromedp.NewContext(b.ctx)
	defer vcancel()
	if err := chromedp.Do(vctx); err != nil {
		t.Fatal(err)
	}
	verifier := &browserWallet{t: t, ctx: vctx}

	// Reopen: module start, keys from the cache, then a proof.
	link := verifierLink(t, verifier, st.verifierURL, "adult")
	t0 = time.Now()
	b.run("reopen", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`body[data-keys="ready"]`)))
	ready := time.Since(t0)
	tm := b.timings()
	_, status, _, msg := b.answer(link, true, "")
	if status != "accepted" {
		t.Fatalf("%s: %s", status, msg)
	}
	total := time.Since(t0)
	after := b.timings()
	t.Logf("reopening (keys from the cache): keys ready %s after navigation (module start %.0f ms, key load %.0f ms of which Go %.0f ms); then proof %.0f ms (consent to verifier's answer, %v split requests); first proof after opening ≈ %s (keys ready + proof), %s from reload to the verifier's answer on screen, the test's clicks included",
		ready.Round(time.Millisecond), tm["moduleStartMs"], tm["keyLoadMs"], tm["keyLoadGoMs"], after["lastProveMs"], after["splitRequests"],
		(ready + time.Duration(after["lastProveMs"].(float64))*time.Millisecond).Round(time.Millisecond), total.Round(time.Millisecond))
	var proves []float64
	for range 2 {
		b.home()
		if _, status, _, msg = b.answer(verifierLink(t, verifier, st.verifierURL, "adult"), true, ""); status != "accepted" {
			t.Fatalf("%s: %s", status, msg)
		}
		proves = append(proves, b.timings()["lastProveMs"].(float64))
	}
	t.Logf("Chromium proofs, split between two workers (consent to answer, ms): %v; worker: %v", proves, b.timings())
	// The same proofs on the proving worker alone (zkp.Prove), same run.
	if h := value(b, "stop helper", chromedp.Evaluate[map[string]any](`window.zkcredWalletCall("helper", [true])`, chromedp.EvalAwaitPromise)); h["running"] != false {
		t.Fatalf("helper still running: %v", h)
	}
	var single []float64
	for range 3 {
		b.home()
		if _, status, _, msg = b.answer(verifierLink(t, verifier, st.verifierURL, "adult"), true, ""); status != "accepted" {
			t.Fatalf("%s: %s", status, msg)
		}
		single = append(single, b.timings()["lastProveMs"].(float64))
	}
	t.Logf("Chromium proofs, one worker (consent to answer, ms): %v", single)
	t.Logf("renderer peak RSS (VmHWM): %s", rendererPeak(profile))

	// The same wallet code, natively, in this process.
	var cfg struct {
		KeysSha256, Fingerprint string
		Witnesses               []string
		Quorum                  int
	}
	if err := json.Unmarshal(fileFromServer(t, st.walletURL+"/config.json"), &cfg); err != nil {
		t.Fatal(err)
	}
	nw, err := core.New(core.Config{InsecureLocal: true, KeysSHA256: cfg.KeysSha256, Fingerprint: cfg.Fingerprint, Witnesses: cfg.Witnesses, Quorum: cfg.Quorum})
	if err != nil {
		t.Fatal(err)
	}
	t0 = time.Now()
	cache, sum, err := nw.LoadKeyBundle(bundle)
	if err != nil {
		t.Fatal(err)
	}
	checked := time.Since(t0)
	t0 = time.Now()
	if err := nw.LoadKeyCache(cache, sum); err != nil {
		t.Fatal(err)
	}
	t.Logf("native: key bundle checked in %s, cache (%d bytes) loaded in %s", checked.Round(time.Millisecond), len(cache), time.Since(t0).Round(time.Millisecond))
	secret, _ := core.NewSecret()
	nw.SetSecret(secret)
	ctx := context.Background()
	uri, pin = createOffer(t, st.issuerBin, st.issuerURL, st.agencyData, "citizen-1")
	info, err := nw.Offer(ctx, uri)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := nw.Receive(ctx, info, pin); err != nil {
		t.Fatal(err)
	}
	if _, err := nw.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	var native []int64
	for range 3 {
		o := nw.Present(ctx, verifierLink(t, verifier, st.verifierURL, "adult"), func(context.Context, *core.Consent) error { return nil })
		if o.Status != "accepted" {
			t.Fatalf("native: %+v", o)
		}
		native = append(native, o.ProveMillis)
	}
	t.Logf("native proofs (same code, consent to answer, ms, GOMAXPROCS=%s): %v", os.Getenv("GOMAXPROCS"), native)
}

func gzSize(b []byte) int {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Len()
}

func chromiumVersion(bin string) string {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return bin
	}
	return strings.TrimSpace(string(out))
}

// rendererPeak lists the peak RSS of each Chromium
// renderer process of the profile (the page and its worker run in one).
func rendererPeak(profile string) string {
	var out []string
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(b, []byte(profile)) || !bytes.Contains(b, []byte("--type=renderer")) {
			continue
		}
		s, err := os.ReadFile(filepath.Join(filepath.Dir(p), "status"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(s), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				f := strings.Fields(v)
				if kb, err := strconv.Atoi(f[0]); err == nil {
					out = append(out, fmt.Sprintf("%d MiB", kb/1024))
				}
			}
		}
	}
	if len(out) == 0 {
		return "not available"
	}
	return strings.Join(out, ", ")
}
