package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/verifier"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/zkp"
)

// testShape is a small circuit shape with every feature the flow uses (a
// set predicate, disclosure, a nullifier); its keys are set up once per
// test binary and shared with the verifier through a key directory.
var testShape = zkp.Shape{Slots: 8, Predicates: 3, SetPredicates: 1, SetDepth: 4, RevocationDepth: 6, Disclosure: true, Nullifier: true}

var keysDir string

var testKeys = sync.OnceValues(func() (*zkp.Keys, error) {
	k, err := zkp.UnsafeSetup(testShape, zkp.Groth16)
	if err != nil {
		return nil, err
	}
	return k, k.Save(keysDir)
})

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "zkcred-holder-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	keysDir = filepath.Join(dir, "keys")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func buildBinary(t *testing.T, pkg, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput()
	if err != nil {
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

// startServer runs a server binary listening on a free loopback port and
// returns its base URL (from its "listening" log line) and its log.
func startServer(t *testing.T, bin string, args ...string) (string, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(bin, append(args, "-addr", "127.0.0.1:0")...)
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
		return u, log
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not start:\n%s", bin, log)
	}
	return "", nil
}

// holder runs the wallet in-process.
func holder(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(t.Context(), args, &out, &errb)
	return out.String(), err
}

func post(t *testing.T, u, token string, body []byte) (int, []byte) {
	t.Helper()
	r, _ := http.NewRequest("POST", u, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// aliceAttrs are the attributes of citizen-1 in the issuer's sample
// register (examples/issuer/register.json).
const aliceAttrs = `{"birthDate":"2001-04-02","district":"07","nationality":"DE","vehicleCategory":"B","vehicleRegistered":true,"voterEligible":true,"residentSince":"2015-06-01"}`

// createOffer runs the issuer's back-office command for register record
// and returns the offer id, the offer URI and the PIN it printed.
func createOffer(t *testing.T, issuerBin, issuerURL, data, record string) (id, uri, pin string) {
	t.Helper()
	out, err := exec.Command(issuerBin, "offer", "-issuer", issuerURL, "-data", data, "-record", record).CombinedOutput()
	if err != nil {
		t.Fatalf("issuer offer: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) > 1 && f[0] == "offer":
			id = f[1]
		case len(f) == 1 && strings.HasPrefix(f[0], "openid-credential-offer://"):
			uri = f[0]
		case len(f) > 1 && f[0] == "PIN":
			pin = f[1]
		}
	}
	if id == "" || uri == "" || pin == "" {
		t.Fatalf("issuer offer printed no offer id, URI or PIN:\n%s", out)
	}
	return id, uri, pin
}

// TestEndToEnd runs the three programs together on loopback: the issuer
// and verifier binaries, and this wallet. The agency's back office offers
// a credential for a register record (issuer offer), the wallet receives
// it over OpenID4VCI with the PIN (a wrong PIN is refused), presents,
// and is accepted; replay and double vote are refused; revoke, and the
// wallet refuses to present while a proof made before the revocation is
// rejected by the verifier.
func TestEndToEnd(t *testing.T) {
	if _, err := testKeys(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	issuerBin := buildBinary(t, "../issuer", "issuer")
	verifierBin := buildBinary(t, "../verifier", "verifier")
	holderBin := buildBinary(t, ".", "holder")

	agencyData := filepath.Join(dir, "agency")
	// The agency's keys are encrypted at rest (credential/agencykey).
	passFile := filepath.Join(dir, "agency-passphrase")
	if err := os.WriteFile(passFile, []byte("holder test agency passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	issuerURL, _ := startServer(t, issuerBin, "-data", agencyData, "-key-passphrase-file", passFile, "-slots", fmt.Sprint(testShape.Slots),
		"-revocation-depth", fmt.Sprint(testShape.RevocationDepth))
	verifierURL, vlog := startServer(t, verifierBin, "-keys", keysDir, "-issuer", issuerURL, "-insecure-local", "-key-passphrase-file", passFile,
		"-store", "bolt:"+filepath.Join(dir, "verifier.db"))
	iu, _ := url.Parse(issuerURL)
	issuerDID, err := did.WebDID(iu.Host)
	if err != nil {
		t.Fatal(err)
	}

	wallet := filepath.Join(dir, "alice")
	if out, err := exec.Command(holderBin, "init", "-wallet", wallet).CombinedOutput(); err != nil || !bytes.Contains(out, []byte("holder commitment")) {
		t.Fatalf("holder init: %v\n%s", err, out)
	}
	offerID, offerURI, pin := createOffer(t, issuerBin, issuerURL, agencyData, "citizen-1")
	wrong := "0" + pin[1:]
	if wrong == pin {
		wrong = "1" + pin[1:]
	}
	if _, err := holder(t, "receive", "-wallet", wallet, "-insecure-local", "-offer", offerURI, "-pin", wrong); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("holder receive with a wrong PIN: %v", err)
	}
	// Without -insecure-local the wallet will not fetch from loopback over http.
	if _, err := holder(t, "receive", "-wallet", wallet, "-offer", offerURI, "-pin", pin); err == nil {
		t.Error("holder receive fetched a loopback http offer without -insecure-local")
	} else if !strings.Contains(err.Error(), "add -insecure-local for a development setup on this machine") {
		t.Errorf("holder receive without -insecure-local does not say what to do: %v", err)
	}
	// The built binary, as a citizen runs it.
	if out, err := exec.Command(holderBin, "receive", "-wallet", wallet, "-insecure-local", "-offer", offerURI, "-pin", pin).CombinedOutput(); err != nil || !bytes.Contains(out, []byte("stored credential")) {
		t.Fatalf("holder receive: %v\n%s", err, out)
	}
	// The code is single-use.
	if _, err := holder(t, "receive", "-wallet", wallet, "-insecure-local", "-offer", offerURI, "-pin", pin); err == nil {
		t.Error("a redeemed offer gave a second credential")
	}
	list, err := holder(t, "list", "-wallet", wallet)
	if err != nil || !strings.Contains(list, issuerDID) || !strings.Contains(list, `"district":"07"`) {
		t.Fatalf("holder list: %v\n%s", err, list)
	}

	years := 18
	policy := protocol.Policy{
		Issuers: []string{issuerDID},
		Schema:  protocol.SchemaRef{Name: credential.PersonSchemaName, Version: 1},
		Predicates: []protocol.Predicate{
			{Attribute: "birthDate", Op: protocol.OpAgeAtLeast, Years: &years},
			{Attribute: "district", Op: protocol.OpIn, Values: []protocol.Value{protocol.StringValue("07"), protocol.StringValue("08")}},
		},
		Disclose:   []string{"voterEligible"},
		Scope:      "election-test",
		MaxRootAge: 3600,
	}
	newRequest := func(p protocol.Policy) string {
		b, _ := json.Marshal(p)
		status, body := post(t, verifierURL+"/requests", "", b)
		if status != http.StatusCreated {
			t.Fatalf("POST /requests: %d %s", status, body)
		}
		req, err := protocol.ParseRequest(body)
		if err != nil {
			t.Fatal(err)
		}
		return verifierURL + "/requests/" + req.ID
	}
	present := func(reqURL string) (string, error) {
		return holder(t, "present", "-wallet", wallet, "-keys", keysDir, "-insecure-local", "-request", reqURL)
	}

	// Issue, present (with the built binary), accept.
	reqURL := newRequest(policy)
	out, err := exec.Command(holderBin, "present", "-wallet", wallet, "-keys", keysDir, "-insecure-local", "-request", reqURL).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("presentation accepted")) || !bytes.Contains(out, []byte(`"voterEligible": true`)) {
		t.Fatalf("holder present: %v\n%s", err, out)
	}
	// The verifier learned the disclosed attribute, not the birth date.
	if bytes.Contains(out, []byte("2001-04-02")) {
		t.Errorf("the result shows the birth date:\n%s", out)
	}
	// The same wallet answers an OpenID4VP request (in-process verifier).
	t.Run("OpenID4VP", func(t *testing.T) { testOpenID4VP(t, wallet, issuerDID) })
	// The wallet syncs the agency's revocation log and presents with its
	// checkpoint (sync_test.go).
	t.Run("Sync", func(t *testing.T) { testSync(t, wallet, issuerDID) })

	// The same request again: replay. A new request in the same scope:
	// duplicate nullifier (one vote per person).
	if _, err := present(reqURL); err == nil || !strings.Contains(err.Error(), verifier.CodeReplay) {
		t.Errorf("replay: %v", err)
	}
	if _, err := present(newRequest(policy)); err == nil || !strings.Contains(err.Error(), verifier.CodeDuplicateNullifier) {
		t.Errorf("second vote: %v", err)
	}

	// A proof built against the revocation state before the revocation...
	p := policy
	p.Scope = "petition-test"
	reqURL = newRequest(p)
	stale := prepare(t, wallet, reqURL)

	// Revoke (the admin token is required).
	token, err := os.ReadFile(filepath.Join(agencyData, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"offerId":"` + offerID + `"}`)
	if status, _ := post(t, issuerURL+"/revoke", "", body); status != http.StatusUnauthorized {
		t.Errorf("revoke without token: %d", status)
	}
	if status, b := post(t, issuerURL+"/revoke", strings.TrimSpace(string(token)), body); status != http.StatusOK {
		t.Fatalf("revoke: %d %s", status, b)
	}

	// ...is rejected by the verifier, which checks against the new root.
	status, b := post(t, reqURL+"/presentations", "", stale)
	if status != http.StatusUnprocessableEntity || !bytes.Contains(b, []byte(verifier.CodeInvalidProof)) {
		t.Errorf("proof against the pre-revocation root: %d %s", status, b)
	}
	// And the wallet cannot build a new one: the credential is revoked.
	if _, err := present(newRequest(p)); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("present after revocation: %v", err)
	}
	// holder sync learns the revocation from the log.
	if out, err := holder(t, "sync", "-wallet", wallet, "-insecure-local"); err != nil || !strings.Contains(out, "is REVOKED") || !strings.Contains(out, "checkpoint of 1 revocations") {
		t.Errorf("sync after revocation: %v\n%s", err, out)
	}
	if !strings.Contains(vlog.String(), "presentation accepted") {
		t.Errorf("verifier log has no accepted presentation:\n%s", vlog)
	}
}

// prepare builds a submission for the request at reqURL the way present
// does, without posting it.
func prepare(t *testing.T, wallet, reqURL string) []byte {
	t.Helper()
	c := &command{wallet: wallet, insecureLocal: true}
	secret, err := c.secret()
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.fetch(t.Context(), "GET", reqURL, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	req, err := protocol.ParseRequest(b)
	if err != nil {
		t.Fatal(err)
	}
	es, err := c.entries()
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.resolver()
	if err != nil {
		t.Fatal(err)
	}
	h, err := c.holding(t.Context(), res, es[0], secret, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := testKeys()
	if err != nil {
		t.Fatal(err)
	}
	sub, err := h.Answer(keys, req, req.Audience)
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// TestCommandLine checks the wallet's command-line errors and the
// development key setup path.
func TestCommandLine(t *testing.T) {
	wallet := filepath.Join(t.TempDir(), "w")
	for _, args := range [][]string{
		{"nope"},
		{"init", "extra"},
		{"receive", "-wallet", wallet},
		{"present", "-wallet", wallet, "-request", "http://x"},
	} {
		if _, err := holder(t, args...); !errors.Is(err, errUsage) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
	if _, err := holder(t, "list", "-wallet", wallet); err != nil {
		t.Errorf("list of an empty wallet: %v", err)
	}
	if _, err := holder(t, "init", "-wallet", wallet); err != nil {
		t.Fatal(err)
	}
	if _, err := holder(t, "init", "-wallet", wallet); err == nil {
		t.Error("second init overwrote the secret")
	}
	if _, err := holder(t, "receive", "-wallet", wallet, "-offer", "openid-credential-offer://?credential_offer=%7B"); err == nil {
		t.Error("bad -offer accepted")
	}
	// The old issuance command is gone: the wallet receives over OpenID4VCI only.
	if _, err := holder(t, "request", "-wallet", wallet, "-issuer", "http://127.0.0.1:1", "-attrs", "{}"); !errors.Is(err, errUsage) {
		t.Errorf("holder request: %v, want a usage error", err)
	}
	// The key directory: missing keys are an error unless -unsafe-setup.
	missing := filepath.Join(t.TempDir(), "keys")
	if _, err := loadKeys(missing, false, "", io.Discard); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing keys: %v", err)
	}
	// -shape for -unsafe-setup is read by zkp.ParseShape: bad shapes are
	// refused before any setup work.
	if _, err := loadKeys(missing, true, `{"slots":0}`, io.Discard); !errors.Is(err, zkp.ErrInvalidShape) {
		t.Errorf("invalid shape: %v", err)
	}
	if _, err := loadKeys(missing, true, `{"slots":8,"bogus":1}`, io.Discard); !errors.Is(err, zkp.ErrInvalidShape) {
		t.Errorf("unknown shape field: %v", err)
	}
}
