package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"flag"
	"fmt"
	"image"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	qr "github.com/skip2/go-qrcode"

	"github.com/zkcred/zkcred/credential/agencykey"
	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/credential/status/tlog/witness"
	"github.com/zkcred/zkcred/did/fetch"
	"github.com/zkcred/zkcred/examples/wallet/internal/core"
	"github.com/zkcred/zkcred/zkp"
)

var update = flag.Bool("update", false, "write the screenshots of each screen into testdata/screenshots")

// testShape is a small circuit (development keys in a few seconds) that
// fits the example verifier page's requests (age, district, vote).
var testShape = zkp.Shape{Slots: 8, Predicates: 3, SetPredicates: 1, SetDepth: 4, RevocationDepth: 6, Disclosure: true, Nullifier: true}

func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

func buildBinary(t *testing.T, pkg, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// syncBuffer collects a process's log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer runs a server binary on a free loopback port (unless args
// name an -addr) and returns its URL (from its "listening" log line).
func startServer(t *testing.T, bin string, args ...string) string {
	t.Helper()
	if !slices.Contains(args, "-addr") {
		args = append(args, "-addr", "127.0.0.1:0")
	}
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("%s log:\n%s", filepath.Base(bin), log)
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(log, line)
			if strings.Contains(line, "listening") {
				for _, f := range strings.Fields(line) {
					if u, ok := strings.CutPrefix(f, "url="); ok {
						found <- u
					}
				}
			}
		}
		close(found)
	}()
	select {
	case u, ok := <-found:
		if !ok {
			t.Fatalf("%s exited before listening:\n%s", bin, log)
		}
		return u
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not start:\n%s", bin, log)
	}
	return ""
}

// createOffer runs the issuer's back-office command for a register
// record and returns the offer URI and PIN it printed.
func createOffer(t *testing.T, issuerBin, issuerURL, data, record string) (uri, pin string) {
	t.Helper()
	_, uri, pin = createOfferID(t, issuerBin, issuerURL, data, record)
	return uri, pin
}

// createOfferID is createOffer that also returns the offer id.
func createOfferID(t *testing.T, issuerBin, issuerURL, data, record string) (id, uri, pin string) {
	t.Helper()
	out, err := exec.Command(issuerBin, "offer", "-issuer", issuerURL, "-data", data, "-record", record).CombinedOutput()
	if err != nil {
		t.Fatalf("issuer offer: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 1 && strings.HasPrefix(f[0], "openid-credential-offer://"):
			uri = f[0]
		case len(f) > 1 && f[0] == "PIN":
			pin = f[1]
		case len(f) > 1 && f[0] == "offer":
			id = f[1]
		}
	}
	if uri == "" || pin == "" || id == "" {
		t.Fatalf("issuer offer printed no id, URI or PIN:\n%s", out)
	}
	return id, uri, pin
}

// browserWallet is one citizen's browser (its own profile: its own
// IndexedDB) with the wallet page open.
type browserWallet struct {
	t    *testing.T
	ctx  context.Context
	shot int
	name string
}

func newBrowser(t *testing.T, chromium string) context.Context {
	return newBrowserIn(t, chromium, t.TempDir())
}

// newBrowserIn starts Chromium with its profile in dir, and extra options.
func newBrowserIn(t *testing.T, chromium, dir string, extra ...chromedp.ExecAllocatorOption) context.Context {
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("enable-precise-memory-info", true),
		chromedp.UserDataDir(dir), chromedp.WindowSize(520, 900))
	opts = append(opts, extra...)
	actx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	// The first run starts the browser, for the lifetime of its context:
	// without a timeout (later runs get theirs).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", chromium, err)
	}
	return ctx
}

func (b *browserWallet) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 3*time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		dom, _ := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS("body")))
		b.t.Fatalf("%s: %v\nDOM: %s", what, err, dom)
	}
}

// value runs one action that reads a value.
func value[T any](b *browserWallet, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 3*time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// poll waits until the JavaScript expression is true.
func poll(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[bool](expr)(ctx, t)
		return chromedp.Void{}, err
	}
}

// screenshot writes the viewport as testdata/screenshots/<name>.png with -update.
func (b *browserWallet) screenshot(name string) {
	b.t.Helper()
	if !*update {
		return
	}
	png := value(b, "screenshot "+name, chromedp.CaptureScreenshot())
	if err := os.MkdirAll("testdata/screenshots", 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata/screenshots", name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browserWallet) text(sel string) string {
	b.t.Helper()
	return value(b, "read "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// receive takes an offer through the receive screen.
func (b *browserWallet) receive(uri, pin string, n int, shots bool) {
	b.t.Helper()
	b.run("open the receive screen", chromedp.Click(chromedp.ID("go-receive")),
		chromedp.SetValue(chromedp.ID("offer-input"), uri), chromedp.Click(chromedp.ID("offer-continue")),
		chromedp.WaitVisible(chromedp.ID("receive-button")))
	if s := b.text("#offer-summary"); !strings.Contains(s, "offers you") {
		b.t.Errorf("offer summary %q", s)
	}
	if shots {
		b.screenshot("2-receive-pin")
	}
	b.run("receive", chromedp.SetValue(chromedp.ID("pin-input"), pin), chromedp.Click(chromedp.ID("receive-button")),
		chromedp.WaitVisible(chromedp.ID("screen-home")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`body[data-credentials="%d"]`, n))))
}

// answer pastes a request, checks the consent screen and accepts or
// declines; it returns the consent screen's text (empty if none came)
// and the outcome's status, title and message.
func (b *browserWallet) answer(uri string, accept bool, shot string) (consent, status, title, message string) {
	b.t.Helper()
	b.run("paste the request", chromedp.Click(chromedp.ID("go-request")),
		chromedp.SetValue(chromedp.ID("request-input"), uri), chromedp.Click(chromedp.ID("request-continue")),
		chromedp.WaitVisible(chromedp.CSS(`body[data-screen="screen-consent"], body[data-screen="screen-outcome"]`)))
	if screen := value(b, "which screen", chromedp.AttributeValue(chromedp.CSS("body"), "data-screen")); screen.Value == "screen-consent" {
		consent = b.text("#screen-consent")
		if shot != "" {
			b.screenshot(shot)
		}
		button := "#consent-decline"
		if accept {
			button = "#consent-accept"
		}
		b.run("answer the consent screen", chromedp.Click(chromedp.CSS(button)),
			chromedp.WaitVisible(chromedp.CSS(`body[data-screen="screen-outcome"]`)))
	}
	status = value(b, "read the outcome", chromedp.AttributeValue(chromedp.ID("screen-outcome"), "data-status")).Value
	return consent, status, b.text("#outcome-title"), b.text("#outcome-message")
}

func (b *browserWallet) home() {
	b.t.Helper()
	b.run("back home", chromedp.Click(chromedp.CSS("#screen-outcome button.home")), chromedp.WaitVisible(chromedp.ID("screen-home")))
}

// timings asks the worker for its measurements.
func (b *browserWallet) timings() map[string]any {
	b.t.Helper()
	return value(b, "timings", chromedp.Evaluate[map[string]any](`window.zkcredWalletCall("timings")`, chromedp.EvalAwaitPromise))
}

// verifierLink opens the verifier page on a new request of a scenario and
// returns its openid4vp:// link.
func verifierLink(t *testing.T, v *browserWallet, base, scenario string) string {
	t.Helper()
	v.run("verifier page "+scenario, chromedp.Navigate(base+"/?create="+scenario),
		chromedp.WaitVisible(chromedp.ID("openid4vp-link")),
		poll(`document.getElementById("openid4vp-link").href.startsWith("openid4vp:")`))
	return value(v, "read the link", chromedp.AttributeValue(chromedp.ID("openid4vp-link"), "href")).Value
}

// stack is the example issuer, witness and verifier (subprocesses) and
// the wallet server (in-process) on loopback.
type stack struct {
	issuerBin, issuerURL, agencyData, verifierURL, walletURL string
	verifierBin                                              string
	// passFile holds the passphrase of the agency's and the
	// verifiers' keys (encrypted at rest).
	passFile string
	// witnessKey is the witness's verifier key: the verifier and the
	// wallet (-witness) require its cosignature on the agency's
	// revocation checkpoints; witnessData is its data directory.
	witnessKey, witnessData string
}

// freeAddr returns a loopback address no one listens on: the agency's
// DID (and so its log keys, which the witness is given) names its port,
// so the port is chosen before the witness starts.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// logKeys creates the agency (issuer -export, at addr) and returns the
// verifier keys of its revocation and keys logs, from its log line.
func logKeys(t *testing.T, issuerBin, addr string, args ...string) []string {
	t.Helper()
	out, err := exec.Command(issuerBin, append(args, "-addr", addr, "-export", filepath.Join(t.TempDir(), "export"))...).CombinedOutput()
	if err != nil {
		t.Fatalf("issuer -export: %v\n%s", err, out)
	}
	var keys []string
	for _, f := range strings.Fields(string(out)) {
		for _, name := range []string{"revocation_log_key=", "keys_log_key="} {
			if k, ok := strings.CutPrefix(f, name); ok {
				keys = append(keys, strings.Trim(k, `"`))
			}
		}
	}
	if len(keys) != 2 {
		t.Fatalf("issuer -export printed no log keys:\n%s", out)
	}
	return keys
}

func startStack(t *testing.T, shape zkp.Shape, keysDir string, walletArgs ...string) *stack {
	t.Helper()
	dir := t.TempDir()
	st := &stack{agencyData: filepath.Join(dir, "agency")}
	st.issuerBin = buildBinary(t, "../issuer", "issuer")
	st.verifierBin = buildBinary(t, "../verifier", "verifier")
	verifierBin := st.verifierBin
	passFile := filepath.Join(dir, "agency-passphrase")
	if err := os.WriteFile(passFile, []byte("wallet test agency passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	st.passFile = passFile
	agency := []string{"-data", st.agencyData, "-key-passphrase-file", passFile,
		"-slots", fmt.Sprint(shape.Slots), "-revocation-depth", fmt.Sprint(shape.RevocationDepth)}
	// A witness of the agency's logs, as in the README's walkthrough.
	witnessBin := buildBinary(t, "../witness", "witness")
	witnessData := filepath.Join(dir, "witness")
	st.witnessData = witnessData
	out, err := exec.Command(witnessBin, "-print-key", "-data", witnessData).Output()
	if err != nil {
		t.Fatalf("witness -print-key: %v", err)
	}
	st.witnessKey = strings.TrimSpace(string(out))
	addr := freeAddr(t)
	witnessArgs := []string{"-data", witnessData}
	for _, k := range logKeys(t, st.issuerBin, addr, agency...) {
		witnessArgs = append(witnessArgs, "-log", k)
	}
	witnessURL := startServer(t, witnessBin, witnessArgs...)
	st.issuerURL = startServer(t, st.issuerBin, append(agency, "-addr", addr, "-witness", st.witnessKey+"@"+witnessURL)...)
	// The wallet carries the agency's checkpoint cosigned by the witness
	// (vp_token v2); the verifier requires the witness's cosignature.
	st.verifierURL = startServer(t, verifierBin, "-keys", keysDir, "-issuer", st.issuerURL, "-insecure-local", "-witness", st.witnessKey, "-key-passphrase-file", passFile,
		"-store", "bolt:"+filepath.Join(dir, "verifier.db"))
	// The wallet server, in-process; the module is built (or taken from
	// the cache) before it listens.
	ready := make(chan string, 1)
	srvLog := &syncBuffer{}
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, append([]string{"-keys", keysDir, "-insecure-local", "-addr", "127.0.0.1:0", "-witness", st.witnessKey}, walletArgs...), srvLog, func(u string) { ready <- u })
	}()
	t.Cleanup(func() { cancel(); <-errc })
	select {
	case st.walletURL = <-ready:
	case err := <-errc:
		t.Fatalf("wallet server: %v\n%s", err, srvLog)
	case <-time.After(8 * time.Minute):
		t.Fatalf("wallet server did not start:\n%s", srvLog)
	}
	return st
}

// TestBrowserWallet drives the wallet in headless Chromium against the
// example issuer, witness and verifier (subprocesses on loopback; the
// wallet syncs the agency's revocation log, accepts its checkpoints only
// with the witness's cosignature and carries them, vp_token v2, to the
// verifier, which requires that cosignature too): a citizen
// receives a credential (offer link and PIN), answers the verifier page's
// age request (the consent screen says what is proven and what stays
// hidden; the verifier page shows it accepted), votes once (accepted) and
// a second time (refused: "already answered"); a minor's wallet answers
// the age request with the plain message and sends nothing. After a
// reload the keys come from the wallet's cache. The agency revokes the
// credential: after its next sync the wallet lists it as revoked and
// answers "This credential was revoked by the agency", sending nothing.
// A request answered after it expired gets "The request expired, ask for
// a new one". Screenshots of each
// screen with -update. Skipped where no Chromium is installed, and under
// -short (it builds the WebAssembly module, about a minute on two cores,
// cached across runs in the user cache directory).
func TestBrowserWallet(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the WebAssembly module and drives Chromium: not under -short")
	}
	chromium := findChromium()
	if chromium == "" {
		t.Skip("no Chromium binary (chromium, chromium-browser, google-chrome) on PATH: install Debian's chromium package to run the browser wallet test")
	}
	start := time.Now()
	keysDir := filepath.Join(t.TempDir(), "keys")
	keys, err := zkp.UnsafeSetup(testShape, zkp.Groth16)
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Save(keysDir); err != nil {
		t.Fatal(err)
	}
	st := startStack(t, testShape, keysDir)
	issuerBin, issuerURL, agencyData, verifierURL, walletURL := st.issuerBin, st.issuerURL, st.agencyData, st.verifierURL, st.walletURL
	t.Logf("setup (keys, binaries, module) %s", time.Since(start).Round(time.Second))
	start = time.Now()

	alice := &browserWallet{t: t, ctx: newBrowser(t, chromium)}
	alice.run("open the wallet", chromedp.Navigate(walletURL+"/"), chromedp.WaitVisible(chromedp.CSS(`body[data-keys="ready"]`)))
	alice.screenshot("1-home-empty")
	offerID, uri, pin := createOfferID(t, issuerBin, issuerURL, agencyData, "citizen-1")
	alice.receive(uri, pin, 1, true)
	alice.run("revocation status", poll(`document.querySelector("#credential-list .state").textContent.includes("not revoked")`))
	list := alice.text("#credential-list")
	for _, want := range []string{"Personal identity credential", "Issued by 127.0.0.1", "Valid until", "not revoked", "district: 07"} {
		if !strings.Contains(list, want) {
			t.Errorf("credential list lacks %q:\n%s", want, list)
		}
	}
	alice.screenshot("3-credentials")

	// The verifier page, in a tab of the same browser.
	vctx, vcancel := chromedp.NewContext(alice.ctx)
	defer vcancel()
	if err := chromedp.Do(vctx); err != nil {
		t.Fatal(err)
	}
	verifier := &browserWallet{t: t, ctx: vctx}
	link := verifierLink(t, verifier, verifierURL, "adult")
	consent, status, title, msg := alice.answer(link, true, "4-consent-age")
	for _, want := range []string{"127.0.0.1", "asks you to prove", "you are at least 18 years old (by your birthDate)", "What stays hidden", "your birthDate", "your district"} {
		if !strings.Contains(consent, want) {
			t.Errorf("consent screen lacks %q:\n%s", want, consent)
		}
	}
	if strings.Contains(consent, "2001-04-02") {
		t.Errorf("the consent screen shows the birth date:\n%s", consent)
	}
	if status != "accepted" {
		t.Fatalf("age request: %s %q %q", status, title, msg)
	}
	alice.screenshot("5-accepted")
	verifier.run("verifier page shows the answer", chromedp.WaitVisible(chromedp.CSS(`#result[data-outcome="accepted"]`)))
	verifier.screenshot("6-verifier-accepted")
	alice.home()

	// The proving helper, a second worker, holds its key by now (it loads
	// beside the keys); the vote's proof is split between the two
	// (zkp.ProveSplit).
	helperState := func() map[string]any {
		return value(alice, "helper", chromedp.Evaluate[map[string]any](`window.zkcredWalletCall("helper")`, chromedp.EvalAwaitPromise))
	}
	for deadline := time.Now().Add(time.Minute); helperState()["ready"] != true; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the proving helper never became ready: %v", helperState())
		}
	}
	before := helperState()["requests"].(float64)

	// A vote, then a second one in the same ballot.
	consent, status, title, msg = alice.answer(verifierLink(t, verifier, verifierURL, "vote"), true, "7-consent-vote")
	if status != "accepted" || !strings.Contains(consent, "only once") || !strings.Contains(consent, "your voterEligible") {
		t.Fatalf("vote: %s %q %q\n%s", status, title, msg, consent)
	}
	alice.home()
	_, status, title, msg = alice.answer(verifierLink(t, verifier, verifierURL, "vote"), true, "")
	if status != "refused" || !strings.Contains(msg, "already answered") {
		t.Errorf("second vote: %s %q %q", status, title, msg)
	}
	if h := helperState(); h["requests"].(float64) < before+1 {
		t.Errorf("the vote's proof was not split between the two workers: %v", h)
	}
	alice.screenshot("8-second-vote-refused")
	alice.home()

	// Declining sends nothing, not even an error response (consent is
	// asked only of a holder who meets the request, so a decline would
	// tell what they refused to prove): the verifier page still waits.
	link = verifierLink(t, verifier, verifierURL, "adult")
	if _, status, _, msg = alice.answer(link, false, ""); status != "declined" || !strings.Contains(msg, "Nothing was proven or sent") {
		t.Errorf("declined: %s %q", status, msg)
	}
	alice.home()
	if outcome := value(verifier, "verifier still waiting", chromedp.AttributeValue(chromedp.ID("result"), "data-outcome")).Value; outcome != "pending" {
		t.Errorf("after a decline the verifier page shows %q", outcome)
	}
	firstRun := alice.timings()
	t.Logf("Chromium, first opening (keys checked from the bundle): %v", firstRun)

	// A minor (citizen-3), in another browser profile whose camera films
	// the agency's offer QR code: the wallet reads it and asks for the
	// PIN. The minor does not meet the age request: the plain message,
	// and nothing sent.
	uri, pin = createOffer(t, issuerBin, issuerURL, agencyData, "citizen-3")
	camera := filepath.Join(t.TempDir(), "offer-qr.y4m")
	writeQRVideo(t, camera, uri)
	minor := &browserWallet{t: t, ctx: newBrowserIn(t, chromium, t.TempDir(),
		chromedp.Flag("use-fake-device-for-media-stream", true), chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", camera))}
	minor.run("open the wallet", chromedp.Navigate(walletURL+"/"), chromedp.WaitVisible(chromedp.CSS(`body[data-keys="ready"]`)))
	minor.run("scan the offer", chromedp.Click(chromedp.ID("go-scan")), chromedp.WaitVisible(chromedp.ID("receive-button")))
	if got := value(minor, "scanned offer", chromedp.Value(chromedp.ID("offer-input"))); got != uri {
		t.Fatalf("the camera read %q, the offer is %q", got, uri)
	}
	minor.screenshot("12-scanned-offer")
	minor.run("receive", chromedp.SetValue(chromedp.ID("pin-input"), pin), chromedp.Click(chromedp.ID("receive-button")),
		chromedp.WaitVisible(chromedp.ID("screen-home")), chromedp.WaitVisible(chromedp.CSS(`body[data-credentials="1"]`)))
	link = verifierLink(t, verifier, verifierURL, "adult")
	consent, status, title, msg = minor.answer(link, true, "")
	if consent != "" || status != "unmet" || msg != "You do not meet this request: it asks for age 18 or over. Nothing was sent." {
		t.Errorf("minor: consent %q, %s %q %q", consent, status, title, msg)
	}
	minor.screenshot("9-unmet")
	if outcome := value(verifier, "verifier still waiting", chromedp.AttributeValue(chromedp.ID("result"), "data-outcome")).Value; outcome != "pending" {
		t.Errorf("after an unmet request the verifier page shows %q", outcome)
	}

	// Reopened: the keys load from the cache, the credential is still there.
	alice.run("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`body[data-keys="ready"]`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-credentials="1"]`)))
	reopened := alice.timings()
	if reopened["keySource"] != "cache" {
		t.Errorf("after a reload the keys came from %v", reopened["keySource"])
	}
	// This time on the proving worker alone (the helper stopped, as if it
	// had crashed: zkp.Keys.WithSplit proves without it), and from a
	// photo of the verifier page's QR code (this browser has no camera:
	// the scan screen says so and takes a photo).
	if h := value(alice, "stop the helper", chromedp.Evaluate[map[string]any](`window.zkcredWalletCall("helper", [true])`, chromedp.EvalAwaitPromise)); h["running"] != false {
		t.Fatalf("the helper still runs: %v", h)
	}
	link = verifierLink(t, verifier, verifierURL, "adult")
	verifier.run("QR code drawn", poll(`document.getElementById("request-qr").complete && document.getElementById("request-qr").naturalWidth > 0`))
	photo := filepath.Join(t.TempDir(), "request-qr.png")
	if err := os.WriteFile(photo, value(verifier, "photo of the QR code", chromedp.ScreenshotScale(chromedp.ID("request-qr"), 3)), 0o600); err != nil {
		t.Fatal(err)
	}
	alice.run("scan a photo", chromedp.Click(chromedp.ID("go-scan")), chromedp.WaitVisible(chromedp.ID("scan-file")),
		chromedp.SetUploadFiles(chromedp.ID("scan-file"), []string{photo}),
		chromedp.WaitVisible(chromedp.CSS(`body[data-screen="screen-consent"]`)))
	if got := value(alice, "scanned request", chromedp.Value(chromedp.ID("request-input"))); got != link {
		t.Errorf("the photo read %q, the request is %q", got, link)
	}
	alice.run("consent", chromedp.Click(chromedp.ID("consent-accept")), chromedp.WaitVisible(chromedp.CSS(`body[data-screen="screen-outcome"]`)))
	if status = value(alice, "read the outcome", chromedp.AttributeValue(chromedp.ID("screen-outcome"), "data-status")).Value; status != "accepted" {
		t.Errorf("after reload, from a photo, on one worker: %s", status)
	}
	if h := helperState(); h["requests"].(float64) != 0 {
		t.Errorf("a stopped helper was sent requests: %v", h)
	}
	t.Logf("Chromium, reopened (keys from the cache): %v", alice.timings())
	alice.home()

	// A request that expired before the citizen answered it (a verifier
	// whose requests live 2 s).
	shortURL := startServer(t, st.verifierBin, "-keys", keysDir, "-issuer", issuerURL, "-insecure-local", "-witness", st.witnessKey, "-request-ttl", "2s", "-key-passphrase-file", st.passFile,
		"-store", "bolt:"+filepath.Join(t.TempDir(), "short.db"))
	link = verifierLink(t, verifier, shortURL, "adult")
	time.Sleep(3 * time.Second)
	if _, status, _, msg = alice.answer(link, true, ""); msg != "The request expired, ask for a new one." {
		t.Errorf("expired request: %s %q", status, msg)
	}
	alice.screenshot("11-expired")
	alice.home()

	// The agency revokes the credential; the wallet learns it when it
	// syncs (on its own schedule: here, asked to), lists it as revoked,
	// and answers a request with the plain message, sending nothing.
	token, err := os.ReadFile(filepath.Join(agencyData, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", issuerURL+"/revoke", strings.NewReader(`{"offerId":"`+offerID+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		t.Fatalf("revoke: %s", res.Status)
	}
	value(alice, "sync", chromedp.Evaluate[string](`window.zkcredWalletCall("sync")`, chromedp.EvalAwaitPromise))
	alice.run("list shows the revocation", chromedp.Click(chromedp.ID("go-receive")), chromedp.Click(chromedp.CSS("#screen-receive button.back")),
		poll(`document.querySelector("#credential-list .state").textContent.includes("Revoked by the agency")`))
	alice.screenshot("10-revoked")
	consent, status, _, msg = alice.answer(verifierLink(t, verifier, verifierURL, "adult"), true, "")
	if consent != "" || status != "unmet" || msg != "This credential was revoked by the agency. Nothing was sent." {
		t.Errorf("revoked: consent %q, %s %q", consent, status, msg)
	}
	alice.home()

	// A split view: the agency shows the minor's wallet (alice's only
	// credential is revoked: her wallet no longer follows the agency) a
	// fork of its log, a checkpoint of the size the wallet holds with
	// other ids, signed with the agency's key and cosigned with the
	// witness's key (a witness that never saw the honest log, or one that
	// colludes). The wallet reports it in plain words, keeps the
	// checkpoint it trusts and stops using the credential.
	if got := value(minor, "sync", chromedp.Evaluate[string](`window.zkcredWalletCall("sync")`, chromedp.EvalAwaitPromise)); got != "" {
		t.Fatalf("sync before the fork: %q", got)
	}
	honest := forkRevocationLog(t, st)
	if got := value(minor, "sync", chromedp.Evaluate[string](`window.zkcredWalletCall("sync")`, chromedp.EvalAwaitPromise)); got != core.SplitViewMessage {
		t.Errorf("sync against a fork: %q, want the split view message", got)
	}
	minor.run("list shows the split view", chromedp.Navigate(walletURL+"/"), chromedp.WaitVisible(chromedp.CSS(`body[data-credentials="1"]`)),
		poll(`document.querySelector("#credential-list .credential.warning") !== null`))
	if list := minor.text("#credential-list"); !strings.Contains(list, core.SplitViewMessage) {
		t.Errorf("after a split view the list shows %q", list)
	}
	minor.screenshot("13-split-view")
	honest()

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	wasmBytes := fileFromServer(t, walletURL+"/wallet.wasm")
	zw.Write(wasmBytes)
	zw.Close()
	t.Logf("module %d bytes (gzip %d), browser part of the test %s", len(wasmBytes), gz.Len(), time.Since(start).Round(time.Second))
}

func fileFromServer(t *testing.T, u string) []byte {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeQRVideo writes a one-frame YUV4MPEG2 video (Chromium's fake camera,
// --use-file-for-fake-video-capture, plays it in a loop) of text's QR code
// on a white 640×480 frame.
func writeQRVideo(t *testing.T, path, text string) {
	t.Helper()
	code, err := qr.New(text, qr.Medium)
	if err != nil {
		t.Fatal(err)
	}
	const w, h = 640, 480
	img := code.Image(440)
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420jpeg\nFRAME\n", w, h)
	x0, y0 := (w-440)/2, (h-440)/2
	for y := range h {
		for x := range w {
			luma := byte(255)
			if p := image.Pt(x-x0, y-y0); p.In(img.Bounds()) {
				r, _, _, _ := img.At(p.X, p.Y).RGBA()
				luma = byte(r >> 8)
			}
			buf.WriteByte(luma)
		}
	}
	buf.Write(bytes.Repeat([]byte{128}, 2*(w/2)*(h/2))) // U and V: no colour
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// forkRevocationLog replaces the agency's published revocation checkpoint
// with a fork of the same size (other ids), signed with the agency's key
// and cosigned with the witness's key by a witness with a fresh state; it
// returns a function that puts the honest checkpoint back.
func forkRevocationLog(t *testing.T, st *stack) (restore func()) {
	t.Helper()
	ctx := t.Context()
	paths, err := filepath.Glob(filepath.Join(st.agencyData, "log", "*", "revocation", "checkpoint"))
	if err != nil || len(paths) != 1 {
		t.Fatalf("the agency's revocation checkpoint: %v %v", paths, err)
	}
	honestNote, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	honest, err := tlog.ParseCheckpoint(honestNote)
	if err != nil || honest.Size == 0 {
		t.Fatalf("the honest checkpoint: %+v %v", honest, err)
	}
	pass, err := os.ReadFile(st.passFile)
	if err != nil {
		t.Fatal(err)
	}
	_, id, err := agencykey.Passphrase(strings.TrimSpace(string(pass)))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := agencykey.Open(filepath.Join(st.agencyData, "keys.age"), id)
	if err != nil {
		t.Fatal(err)
	}
	seedB64, err := os.ReadFile(filepath.Join(st.witnessData, "witness.key"))
	if err != nil {
		t.Fatal(err)
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(seedB64)))
	if err != nil || len(seed) != ed25519.SeedSize {
		t.Fatalf("witness key: %v", err)
	}
	logKey, err := tlog.NewLogKey(honest.Origin, keys.JOSE.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	store, err := witness.OpenStore(filepath.Join(t.TempDir(), "fork-witness.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	w, err := witness.New(witness.Config{Name: strings.SplitN(st.witnessKey, "+", 2)[0], Key: ed25519.NewKeyFromSeed(seed), Logs: []*tlog.LogKey{logKey}, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	wsrv := httptest.NewServer(w.Handler())
	t.Cleanup(wsrv.Close)
	hc, err := fetch.New(&fetch.Config{InsecureAllowHTTP: true, InsecureAllowPrivateAddresses: true})
	if err != nil {
		t.Fatal(err)
	}
	wk, err := tlog.ParseWitnessKey(st.witnessKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	wr, err := tlog.OpenWriter(ctx, tlog.WriterConfig{Dir: dir, Origin: honest.Origin, Kind: tlog.KindRevocation, Key: keys.JOSE,
		Depth: honest.Indexed.Depth, Witnesses: []tlog.WitnessEndpoint{{Key: wk, URL: wsrv.URL + "/add-checkpoint"}}, HTTP: hc})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]uint64, honest.Size)
	tree, err := status.NewTree(honest.Indexed.Depth, status.RevocationMax())
	if err != nil {
		t.Fatal(err)
	}
	for i := range ids {
		ids[i] = uint64(1000 + i)
		if err := tree.Insert(fr.NewElement(ids[i])); err != nil {
			t.Fatal(err)
		}
	}
	fork, err := wr.AppendRevocations(ctx, ids, tlog.IndexedRoot{Depth: honest.Indexed.Depth, Root: tree.Root(), Sequence: honest.Indexed.Sequence})
	if err != nil {
		t.Fatal(err)
	}
	if sigs := bytes.Count(fork.Note, []byte("\n\u2014 ")); fork.Size != honest.Size || fork.Hash == honest.Hash || sigs < 2 {
		t.Fatalf("the fork: size %d (honest %d), same hash %v, %d signature lines (want the agency's and the witness's)", fork.Size, honest.Size, fork.Hash == honest.Hash, sigs)
	}
	if err := os.WriteFile(paths[0], fork.Note, 0o644); err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := os.WriteFile(paths[0], honestNote, 0o644); err != nil {
			t.Error(err)
		}
	}
}
