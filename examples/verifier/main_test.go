package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status/registry"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/verifier"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/zkp"
)

// testShape is a small circuit shape (development keys are set up by the
// server's own -unsafe-setup path, in a few seconds).
const testShape = `{"slots":8,"predicates":2,"set_predicates":1,"set_depth":2,"revocation_depth":4,"disclosure":true,"nullifier":true}`

// testIssuer is an agency built from the library, serving its DID document
// and signed revocation root on a loopback httptest server.
type testIssuer struct {
	url, did string
	issuer   *credential.Issuer
	reg      *registry.Registry
	schema   *credential.Schema
}

func newTestIssuer(t *testing.T, shape zkp.Shape) *testIssuer {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	id, err := did.WebDID(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	pub, jose, _ := ed25519.GenerateKey(rand.Reader)
	zk, err := credential.GenerateZKKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	doc := &did.Document{ID: id}
	for _, m := range []struct {
		id  string
		key any
	}{{id + "#jose-1", pub}, {id + "#zk-1", zk.Public()}} {
		vm, err := did.NewMultikeyMethod(m.id, id, m.key)
		if err != nil {
			t.Fatal(err)
		}
		if err := doc.AddVerificationMethod(vm, did.AssertionMethod); err != nil {
			t.Fatal(err)
		}
	}
	store, err := registry.OpenBoltStore(filepath.Join(t.TempDir(), "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Open(store, registry.Config{Depth: shape.RevocationDepth, Issuer: id, KeyID: id + "#jose-1", Signer: jose})
	if err != nil {
		t.Fatal(err)
	}
	docH, err := did.DocumentHandler(doc)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /.well-known/did.json", docH)
	mux.HandleFunc("GET /revocation/root", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, reg.SignedRoot()) })
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(func() { srv.Close(); store.Close() })
	schema, err := credential.PersonSchema().WithSlots(shape.Slots)
	if err != nil {
		t.Fatal(err)
	}
	return &testIssuer{url: srv.URL, did: id, reg: reg, schema: schema,
		issuer: &credential.Issuer{DID: id, JOSEKey: jose, JOSEKeyID: id + "#jose-1", ZKKey: zk, ZKKeyID: id + "#zk-1"}}
}

// holding issues a credential to a fresh holder.
func (i *testIssuer) holding(t *testing.T, values map[string]any) *protocol.Holding {
	t.Helper()
	secret, err := credential.GenerateHolderSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := i.reg.NewRevocationID()
	if err != nil {
		t.Fatal(err)
	}
	st, err := i.issuer.Issue(credential.IssueRequest{Schema: i.schema, Values: values, HolderCommitment: secret.Commitment(),
		ValidUntil: time.Now().AddDate(1, 0, 0), RevocationID: rev})
	if err != nil {
		t.Fatal(err)
	}
	tree, err := i.reg.Snapshot().Tree()
	if err != nil {
		t.Fatal(err)
	}
	return &protocol.Holding{Credential: st, Secret: secret, IssuerKey: i.issuer.ZKKey.Public(), Revocation: tree}
}

var aliceData = map[string]any{
	"birthDate": "2001-04-02", "district": "07", "nationality": "DE", "vehicleCategory": "B",
	"vehicleRegistered": true, "voterEligible": true, "residentSince": "2015-06-01",
}

// startVerifier runs the command in-process, with development keys set up
// by -unsafe-setup in a fresh key directory, and returns its URL and keys;
// args are more flags (a bolt store in a temporary directory unless they
// name -store or -pg; -keys DIR reuses keys, or sets them up there).
func startVerifier(t *testing.T, issuerURL string, store ...string) (string, *zkp.Keys) {
	t.Helper()
	dir := t.TempDir()
	keysDir := filepath.Join(dir, "keys")
	if i := slices.Index(store, "-keys"); i >= 0 && i+1 < len(store) {
		keysDir = store[i+1] // keys of an earlier verifier: no second setup
	}
	if !slices.Contains(store, "-store") && !slices.Contains(store, "-pg") {
		store = append(store, "-store", "bolt:"+filepath.Join(dir, "v.db"))
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-keys", keysDir, "-unsafe-setup", "-shape", testShape, "-issuer", issuerURL,
			"-insecure-local", "-accept-signed-roots", "-addr", "127.0.0.1:0", "-data", filepath.Join(dir, "data")}, store...),
			io.Discard, slog.New(slog.DiscardHandler), func(u string) { ready <- u })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("verifier: %v", err)
		}
	})
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatalf("verifier exited: %v", err)
	}
	keys, err := zkp.LoadKeys(keysDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return base, keys
}

func postJSON(t *testing.T, u string, body []byte) (int, []byte) {
	t.Helper()
	res, err := http.Post(u, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func createRequest(t *testing.T, base string, p protocol.Policy) *protocol.Request {
	t.Helper()
	req, _ := createRequestWithKey(t, base, p)
	return req
}

// createRequestWithKey creates a request with POST /requests and returns
// it with the key that reads its outcome (the X-Outcome-Key header).
func createRequestWithKey(t *testing.T, base string, p protocol.Policy) (*protocol.Request, string) {
	t.Helper()
	b, _ := json.Marshal(p)
	res, err := http.Post(base+"/requests", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /requests: %d %s", res.StatusCode, body)
	}
	req, err := protocol.ParseRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	return req, res.Header.Get("X-Outcome-Key")
}

func votePolicy(issuer string) protocol.Policy {
	years := 18
	return protocol.Policy{
		Issuers: []string{issuer},
		Schema:  protocol.SchemaRef{Name: credential.PersonSchemaName, Version: 1},
		Predicates: []protocol.Predicate{
			{Attribute: "birthDate", Op: protocol.OpAgeAtLeast, Years: &years},
		},
		Disclose:   []string{"voterEligible"},
		Scope:      "election-browser-test",
		MaxRootAge: 3600,
	}
}

func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// update makes TestBrowser write its screenshots to testdata/screenshots
// (the README shows them).
var update = flag.Bool("update", false, "write the browser test's screenshots to testdata/screenshots")

// chromiumPage loads page in headless Chromium with Accept-Language lang
// and returns the DOM when the page has settled. While Chromium runs,
// answer is called with the id of the request the page waits on (the
// page long-polls, and Chromium's virtual time does not advance while a
// fetch is pending, so --dump-dom captures the DOM after the outcome came
// in). With -update it also writes a screenshot to
// testdata/screenshots/shot.
func chromiumPage(t *testing.T, chromium, page, lang, shot string, waiting chan string, answer func(id string)) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
		"--user-data-dir=" + t.TempDir(), "--accept-lang=" + lang, "--virtual-time-budget=5000", "--dump-dom"}
	if *update {
		if err := os.MkdirAll(filepath.Join("testdata", "screenshots"), 0o755); err != nil {
			t.Fatal(err)
		}
		abs, _ := filepath.Abs(filepath.Join("testdata", "screenshots", shot))
		args = append(args, "--hide-scrollbars", "--window-size=820,560", "--screenshot="+abs)
	}
	var dom, chromeErr bytes.Buffer
	cmd := exec.CommandContext(ctx, chromium, append(args, page)...)
	cmd.Stdout, cmd.Stderr = &dom, &chromeErr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var id string
	select {
	case id = <-waiting:
	case err := <-exited:
		t.Fatalf("chromium exited before the page waited for an outcome: %v\n%s\n%s", err, dom.String(), chromeErr.String())
	case <-ctx.Done():
		t.Fatal("the page never asked for an outcome")
	}
	answer(id)
	if err := <-exited; err != nil {
		t.Fatalf("chromium: %v\n%s", err, chromeErr.String())
	}
	for len(waiting) > 0 {
		<-waiting
	}
	return dom.String()
}

// TestBrowser drives the clerk's page in headless Chromium, in English and
// in Estonian (chosen from Accept-Language). Each time the page creates
// the request itself (the "vote" scenario, from /config.json); the test
// waits until the page waits for the outcome, then the holder's wallet
// answers the openid4vp:// link, and the page must show the outcome in
// the clerk's words, the technical detail folded away. The last case is a
// second vote by the same person on a verifier whose requests live three
// seconds: the page says "already voted", and when the request expires
// its QR code and link go.
func TestBrowser(t *testing.T) {
	chromium := findChromium()
	if chromium == "" {
		t.Skip("no Chromium binary (chromium, chromium-browser, google-chrome) on PATH: install Debian's chromium package to run the browser test")
	}
	shape, err := parseShapeForTest()
	if err != nil {
		t.Fatal(err)
	}
	iss := newTestIssuer(t, shape)
	waiting := make(chan string, 16)
	outcomeWaitHook = func(id string) {
		select {
		case waiting <- id:
		default:
		}
	}
	t.Cleanup(func() { outcomeWaitHook = nil })
	keysDir := t.TempDir()
	base, keys := startVerifier(t, iss.url, "-keys", keysDir)

	check := func(t *testing.T, out string, wants ...string) {
		t.Helper()
		for _, want := range wants {
			if !strings.Contains(out, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		if t.Failed() {
			t.Logf("DOM:\n%s", out)
		}
	}
	accepted := func(t *testing.T, lang, shot string, wants ...string) {
		var uri string
		out := chromiumPage(t, chromium, base+"/?create=vote", lang, shot, waiting, func(id string) {
			uri = openid4vpLink(t, base, id)
			ans := answerOpenID4VP(t, iss, keys, uri)
			if ans.StatusCode != http.StatusOK {
				t.Fatalf("wallet answer: %d %s %s", ans.StatusCode, ans.Error, ans.Description)
			}
		})
		check(t, out, append(wants,
			`data-outcome="accepted"`,
			`<div class="outcome accepted" data-kind="accepted">`,
			// The technical detail is there, folded away.
			`<details id="technical">`, // folded: no "open"
			`"issuer": "`+iss.did+`"`,
			// The openid4vp:// link, as text and href, and its QR code,
			// loaded by the browser.
			`<a id="openid4vp-link" href="`+strings.ReplaceAll(uri, "&", "&amp;")+`">`+strings.ReplaceAll(uri, "&", "&amp;")+`</a>`,
			`src="/qr.svg?data=`+strings.ReplaceAll(url.QueryEscape(uri), "+", "%20")+`"`,
			`data-loaded="true"`,
		)...)
		if strings.Contains(out, "ageAtLeast 18") || strings.Contains(out, "proven ") {
			t.Error("the outcome is in developer words")
		}
	}
	t.Run("English", func(t *testing.T) {
		accepted(t, "en-GB,en", "accepted-en.png",
			`<html lang="en">`, `<title>Identity check</title>`,
			`<h3>Accepted</h3><ul><li>Over 18: confirmed</li><li>Eligible to vote: yes</li><li>Has not voted yet in this election: confirmed</li></ul>`,
			`<p id="status" aria-live="polite">Checked</p>`, `<summary>Technical details</summary>`)
	})
	t.Run("Estonian", func(t *testing.T) {
		accepted(t, "et-EE,et,en", "accepted-et.png",
			`<html lang="et">`, `<title>Tõendi kontroll</title>`,
			`<h3>Aktsepteeritud</h3><ul><li>Vähemalt 18-aastane: kinnitatud</li><li>Hääleõigus: jah</li><li>Pole nendel valimistel veel hääletanud: kinnitatud</li></ul>`,
			`<p id="status" aria-live="polite">Kontrollitud</p>`, `<summary>Tehnilised üksikasjad</summary>`)
	})
	t.Run("already voted, then expired", func(t *testing.T) {
		short, keys := startVerifier(t, iss.url, "-keys", keysDir, "-request-ttl", "3s")
		h := iss.holding(t, aliceData)
		// The person votes once, through the API.
		p := votePolicy(iss.did)
		p.Scope = "election-demo" // the page's
		status, body := postJSON(t, short+"/openid4vp/create", mustJSON(t, p))
		if status != http.StatusCreated {
			t.Fatalf("POST /openid4vp/create: %d %s", status, body)
		}
		var first oidCreated
		if err := json.Unmarshal(body, &first); err != nil {
			t.Fatal(err)
		}
		if ans := answerWith(t, iss, keys, h, first.URI); ans.StatusCode != http.StatusOK {
			t.Fatalf("first vote: %d %s", ans.StatusCode, ans.Description)
		}
		// In English only: the Estonian sentences are TestReasons' (a
		// Chromium run here costs the request's lifetime).
		for _, lang := range []string{"en"} {
			out := chromiumPage(t, chromium, short+"/?create=vote", lang, "already-voted-"+lang+".png", waiting, func(id string) {
				if _, err := tryAnswer(t, iss, keys, h, openid4vpLink(t, short, id)); err == nil || !strings.Contains(err.Error(), "nullifier already used") {
					t.Errorf("second vote: %v", err)
				}
			})
			wants := []string{`data-outcome="expired"`, `data-expired="true"`, `<div id="scan" hidden="">`,
				`<div class="outcome rejected" data-kind="rejected">`}
			if lang == "en" {
				wants = append(wants, `<h3>Not accepted: this person already voted in this election.</h3>`,
					`<p id="countdown" aria-live="polite" class="expired">This request has expired. Start a new check.</p>`)
			} else {
				wants = append(wants, `<h3>Ei aktsepteeritud: see inimene on nendel valimistel juba hääletanud.</h3>`,
					`<p id="countdown" aria-live="polite" class="expired">Päring on aegunud. Alustage uut kontrolli.</p>`)
			}
			check(t, out, wants...)
			if strings.Contains(out, `src="/qr.svg`) {
				t.Error("the QR code of an expired request is still shown")
			}
		}
	})
}

func parseShapeForTest() (zkp.Shape, error) {
	var s zkp.Shape
	err := json.Unmarshal([]byte(testShape), &s)
	return s, err
}

// TestOutcomes checks the JSON outcome endpoint the page reads, without a
// browser: pending, then a rejection, then the acceptance; unknown
// requests are 404.
func TestOutcomes(t *testing.T) { testOutcomes(t) }

// TestPostgres runs the outcome flow on the PostgreSQL store (-pg), with
// the server named by ZKCRED_PG_DSN (.ci/run starts one).
func TestPostgres(t *testing.T) {
	dsn := os.Getenv("ZKCRED_PG_DSN")
	if dsn == "" {
		t.Skip("ZKCRED_PG_DSN is not set: no PostgreSQL server for the -pg store")
	}
	testOutcomes(t, "-pg", dsn)
}

func testOutcomes(t *testing.T, store ...string) {
	shape, err := parseShapeForTest()
	if err != nil {
		t.Fatal(err)
	}
	iss := newTestIssuer(t, shape)
	base, keys := startVerifier(t, iss.url, store...)
	req, key := createRequestWithKey(t, base, votePolicy(iss.did))
	outcome := func() (state string, attempts []attempt) {
		hreq, _ := http.NewRequest("GET", base+"/requests/"+req.ID+"/outcome", nil)
		hreq.Header.Set("X-Outcome-Key", key)
		res, err := http.DefaultClient.Do(hreq)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var o struct {
			State    string    `json:"state"`
			Attempts []attempt `json:"attempts"`
		}
		if err := json.NewDecoder(res.Body).Decode(&o); err != nil {
			t.Fatal(err)
		}
		return o.State, o.Attempts
	}
	if s, _ := outcome(); s != "pending" {
		t.Errorf("state %q, want pending", s)
	}
	if status, _ := postJSON(t, base+"/requests/"+req.ID+"/presentations", []byte(`{}`)); status != http.StatusBadRequest {
		t.Errorf("malformed presentation: %d", status)
	}
	if s, a := outcome(); s != "rejected" || len(a) != 1 || a[0].Error.Code != verifier.CodeMalformedPresentation {
		t.Errorf("after a malformed presentation: %q %+v", s, a)
	}
	sub, err := iss.holding(t, aliceData).Answer(keys, req, req.Audience)
	if err != nil {
		t.Fatal(err)
	}
	if status, body := postJSON(t, base+"/requests/"+req.ID+"/presentations", sub); status != http.StatusOK {
		t.Fatalf("presentation: %d %s", status, body)
	}
	if s, a := outcome(); s != "accepted" || len(a) != 2 || a[1].Status != 200 || !bytes.Contains(a[1].Result, []byte(`"nullifier"`)) {
		t.Errorf("after the honest presentation: %q %+v", s, a)
	}
	res, err := http.Get(base + "/requests/AAAAAAAAAAAAAAAAAAAAAA/outcome")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown request outcome: %d", res.StatusCode)
	}
	// The page and its assets are served with a restrictive CSP.
	res, err = http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Errorf("page: %d %v", res.StatusCode, res.Header)
	}
}

// TestCommandLine builds the command and checks that bad command lines and
// a bad store exit with status 1.
func TestCommandLine(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "verifier")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	keys := filepath.Join(t.TempDir(), "nokeys")
	for _, args := range [][]string{
		{},
		{"-keys", keys},
		{"-keys", keys, "-issuer", "http://127.0.0.1:1"}, // no keys, no -unsafe-setup
	} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Errorf("verifier %q: %v\n%s", args, err, out)
		}
	}
	if _, err := os.Stat(keys); !errors.Is(err, os.ErrNotExist) {
		t.Error("keys were created without -unsafe-setup")
	}
	for _, s := range []string{"bolt:", "redis:x", "x.db"} {
		if _, _, err := openStore(t.Context(), &options{store: s}); err == nil {
			t.Errorf("-store %q accepted", s)
		}
	}
	for _, u := range []string{"ftp://x", "not a url", "http://"} {
		if _, err := issuerDID(u); err == nil {
			t.Errorf("-issuer %q accepted", u)
		}
	}
	if d, err := issuerDID("https://agency.example:8443/"); err != nil || d != "did:web:agency.example%3A8443" {
		t.Errorf("issuerDID = %q, %v", d, err)
	}
}
