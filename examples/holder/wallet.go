package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/display"
	"github.com/zkcred/zkcred/credential/openid4vci"
	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/fetch"
	"github.com/zkcred/zkcred/did/strictjson"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/zkp"
)

// Wallet directory layout, version 1:
//
//	secret                  the holder secret: 64 hex digits (credential.ParseHolderSecret), mode 0600
//	credentials/<uuid>.json {"version": "zkcred-wallet-entry-v1", "issuerUrl": URL,
//	                         "credential": <stored credential, zkcred-credential-v1>}, mode 0600
const entryVersion = "zkcred-wallet-entry-v1"

type entry struct {
	Version   string             `json:"version"`
	IssuerURL string             `json:"issuerUrl"`
	ID        string             `json:"id"`
	Stored    *credential.Stored `json:"credential"`
}

// maxResponse bounds what the wallet reads from issuers and verifiers
// (revocation snapshots: 8 bytes per revoked id), and fetchTimeout one
// fetch, body included.
const (
	maxResponse  = 64 << 20
	fetchTimeout = 60 * time.Second
)

// testTLSConfig, if set (by tests), is the TLS configuration of the
// wallet's HTTP client (a test verifier's certificate authority).
var testTLSConfig *tls.Config

func (c *command) secretPath() string { return filepath.Join(c.wallet, "secret") }

func (c *command) init(stdout io.Writer) error {
	if err := os.MkdirAll(filepath.Join(c.wallet, "credentials"), 0o700); err != nil {
		return err
	}
	s, err := credential.GenerateHolderSecret(rand.Reader)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(c.secretPath(), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s already has a holder secret", c.wallet)
	} else if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(f, hex.EncodeToString(s.Bytes())); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	cm := s.Commitment()
	b := cm.Bytes()
	fmt.Fprintf(stdout, "wallet %s created; holder commitment %x\n", c.wallet, b)
	return nil
}

func (c *command) secret() (*credential.HolderSecret, error) {
	b, err := os.ReadFile(c.secretPath())
	if err != nil {
		return nil, fmt.Errorf("no holder secret (run holder init): %w", err)
	}
	raw, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.secretPath(), err)
	}
	return credential.ParseHolderSecret(raw)
}

// resolver returns the DID resolver: the library default (did:web over
// HTTPS to public addresses only), or with -insecure-local one that also
// fetches did:web documents over http:// from loopback and private hosts.
func (c *command) resolver() (did.Resolver, error) {
	if !c.insecureLocal {
		return did.NewResolver(nil)
	}
	return did.NewInsecureLocalResolver()
}

// httpClient returns the wallet's HTTP client. The URLs it fetches come
// from a verifier's QR code or the command line, so it fetches under the
// library's outbound policy (did/fetch): https only, public addresses only
// (checked on every connection), redirects to the same scheme and host
// only, one deadline per fetch and a bounded body. -insecure-local lifts
// the scheme and address rules (InsecureAllowHTTP and
// InsecureAllowPrivateAddresses), for a walkthrough on one machine.
func (c *command) httpClient() (*fetch.Client, error) {
	if c.client == nil {
		cl, err := fetch.New(&fetch.Config{
			Timeout: fetchTimeout, MaxBytes: maxResponse, TLSConfig: testTLSConfig,
			InsecureAllowHTTP: c.insecureLocal, InsecureAllowPrivateAddresses: c.insecureLocal,
		})
		if err != nil {
			return nil, err
		}
		c.client = cl
	}
	return c.client, nil
}

// fetch GETs or POSTs u and returns the body of a 2xx answer; other
// answers become errors, carrying the body's message for a POST (a GET's
// refusal has its status only).
func (c *command) fetch(ctx context.Context, method, u, contentType string, body []byte) ([]byte, error) {
	cl, err := c.httpClient()
	if err != nil {
		return nil, err
	}
	var res *fetch.Response
	switch method {
	case http.MethodGet:
		res, err = cl.Get(ctx, u, "")
	case http.MethodPost:
		res, err = cl.Post(ctx, u, contentType, body, "")
	default:
		return nil, fmt.Errorf("internal error: method %s", method)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, u, err)
	}
	if res.StatusCode/100 != 2 {
		return res.Body, &httpError{method: method, url: u, status: res.StatusCode, body: string(res.Body)}
	}
	return res.Body, nil
}

type httpError struct {
	method, url string
	status      int
	body        string
}

func (e *httpError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.method, e.url, e.status, errorBodyText(e.body))
}

// errorBodyText renders a server's error body for a person: the code and
// message of a JSON error object ({"code", "message"} of the verifier,
// {"error", "error_description"} of OAuth and OpenID4VP, {"error"} of the
// issuer's back office) as plain "code: message", not the JSON itself, which
// a log line would quote again (the escaped quotes of one JSON inside
// another); any other body is shown trimmed, at most 300 bytes.
func errorBodyText(body string) string {
	var e struct {
		Code        string `json:"code"`
		Message     string `json:"message"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if strictjson.UnmarshalOpen([]byte(body), &e) == nil {
		code, msg := e.Code, e.Message
		if code == "" {
			code, msg = e.Error, e.Description
		}
		if code != "" {
			if msg != "" {
				code += ": " + msg
			}
			return display.Escape(code, 300)
		}
	}
	// A server's text reaches the citizen's terminal: escape sequences,
	// bidirectional overrides and other characters that do not show as
	// themselves are written out, never sent to it.
	return display.Escape(strings.TrimSpace(body), 300)
}

// receive runs OpenID4VCI with the library's wallet client
// (credential/openid4vci) over the wallet's fetch policy: it resolves the
// offer (fetching it when by reference), reads the issuer's metadata,
// redeems the pre-authorized code with the PIN, and requests the
// credential with a key proof that carries the holder commitment (the
// secret stays here). The client checks the credential is bound to our
// secret and verifies both signatures against the issuer's DID document
// before it is stored.
func (c *command) receive(ctx context.Context, offerURI, pin string, stdout io.Writer) error {
	secret, err := c.secret()
	if err != nil {
		return err
	}
	cl, err := c.httpClient()
	if err != nil {
		return err
	}
	res, err := c.resolver()
	if err != nil {
		return err
	}
	w, err := openid4vci.NewWallet(openid4vci.WalletConfig{Fetch: cl, Resolver: res})
	if err != nil {
		return err
	}
	offer, err := w.Offer(ctx, offerURI)
	if err != nil {
		return fmt.Errorf("credential offer: %w", err)
	}
	s, err := w.Start(ctx, offer)
	if err != nil {
		return err
	}
	if g := offer.Grants.PreAuthorizedCode; g != nil && g.TxCode != nil && pin == "" {
		return fmt.Errorf("%w: the offer asks for the PIN the issuer sent you on another channel: -pin", errUsage)
	}
	if err := w.Redeem(ctx, s, pin); err != nil {
		return err
	}
	st, err := w.RequestCredential(ctx, s, secret)
	if err != nil {
		return err
	}
	vc, err := st.Verify(ctx, res, credential.VerifyOptions{})
	if err != nil {
		return fmt.Errorf("the issued credential does not verify: %w", err)
	}
	id := strings.TrimPrefix(vc.ID, "urn:uuid:")
	if id == "" || strings.ContainsAny(id, `/\.`) {
		return fmt.Errorf("issued credential has an unusable id %q", vc.ID)
	}
	issuerURL := offer.CredentialIssuer
	e, err := json.MarshalIndent(entry{Version: entryVersion, IssuerURL: issuerURL, ID: vc.ID, Stored: st}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(c.wallet, "credentials"), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(c.wallet, "credentials", id+".json"), e, 0o600); err != nil {
		return err
	}
	attrs, _ := json.Marshal(st.Values)
	fmt.Fprintf(stdout, "stored credential %s from %s (%s), valid until %s\n  attributes %s\n", vc.ID, st.Issuer, issuerURL, vc.ValidUntil.Format(time.DateOnly), attrs)
	return nil
}

func (c *command) entries() ([]*entry, error) {
	names, err := filepath.Glob(filepath.Join(c.wallet, "credentials", "*.json"))
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var out []*entry
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		// Strict JSON (unknown members refused): a wallet file (one a user
		// could be handed) has one reading (no duplicate or case-variant
		// names, valid Unicode, no trailing data).
		var e entry
		if err := strictjson.Unmarshal(b, &e); err != nil || e.Version != entryVersion || e.Stored == nil {
			return nil, fmt.Errorf("%s: not a %s file (%v)", n, entryVersion, err)
		}
		out = append(out, &e)
	}
	return out, nil
}

func (c *command) list(stdout io.Writer) error {
	es, err := c.entries()
	if err != nil {
		return err
	}
	if len(es) == 0 {
		fmt.Fprintln(stdout, "no credentials")
	}
	for _, e := range es {
		st := e.Stored
		attrs, _ := json.Marshal(st.Values)
		fmt.Fprintf(stdout, "%s\n  issuer     %s (%s)\n  schema     %s v%d\n  expires    %s\n  revocation %d\n  attributes %s\n",
			e.ID, st.Issuer, e.IssuerURL, st.Schema.Name, st.Schema.Version,
			time.Unix(int64(st.Expiry), 0).UTC().Format(time.RFC3339), st.RevocationID, attrs)
	}
	return nil
}

type presentFlags struct {
	requestURL, keys, credential, shape string
	audience                            string // expected request audience; default: origin of requestURL
	unsafeSetup                         bool
	yes                                 bool // OpenID4VP: consent without asking
}

// loadKeys loads the circuit keys from dir, or with unsafe creates
// development keys there when it holds none.
func loadKeys(dir string, unsafe bool, shapeName string, log io.Writer) (*zkp.Keys, error) {
	k, err := zkp.LoadKeys(dir, nil)
	if err == nil || !unsafe || !errors.Is(err, os.ErrNotExist) {
		return k, err
	}
	shape, err := zkp.ParseShape(shapeName)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "holder: no keys in %s: running an UNSAFE development setup for shape %s (this takes a while)\n", dir, shape)
	if k, err = zkp.UnsafeSetup(shape, zkp.Groth16); err != nil {
		return nil, err
	}
	return k, k.Save(dir)
}

func (c *command) present(ctx context.Context, p *presentFlags, stdout, stderr io.Writer) error {
	secret, err := c.secret()
	if err != nil {
		return err
	}
	u, err := url.Parse(p.requestURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("-request %q is not an http(s) URL", p.requestURL)
	}
	b, err := c.fetch(ctx, "GET", p.requestURL, "", nil)
	if err != nil {
		return err
	}
	req, err := protocol.ParseRequest(b)
	if err != nil {
		return err
	}
	es, err := c.entries()
	if err != nil {
		return err
	}
	var e *entry
	for _, x := range es {
		if (p.credential == "" || p.credential == x.ID) && slices.Contains(req.Issuers, x.Stored.Issuer) &&
			x.Stored.Schema.Name == req.Schema.Name && x.Stored.Schema.Version == req.Schema.Version {
			e = x
			break
		}
	}
	if e == nil {
		return fmt.Errorf("no credential in %s fits: the request wants schema %s v%d from %s", c.wallet, req.Schema.Name, req.Schema.Version, strings.Join(req.Issuers, ", "))
	}
	res, err := c.resolver()
	if err != nil {
		return err
	}
	h, err := c.holding(ctx, res, e, secret, time.Duration(req.MaxRootAge)*time.Second)
	if err != nil {
		return err
	}
	keys, err := loadKeys(p.keys, p.unsafeSetup, p.shape, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "holder: proving %d predicate(s) for %s with credential %s (verifying key %s)\n",
		len(req.Predicates), req.Audience, e.ID, keys.VerifyingKey.Fingerprint())
	start := time.Now()
	audience := p.audience
	if audience == "" {
		audience = u.Scheme + "://" + u.Host
	}
	sub, err := h.Answer(keys, req, audience)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "holder: proof ready in %v; sending it\n", time.Since(start).Round(time.Millisecond))
	u.RawQuery, u.Fragment = "", ""
	out, err := c.fetch(ctx, "POST", strings.TrimRight(u.String(), "/")+"/presentations", "application/json", sub)
	if err != nil {
		return fmt.Errorf("presentation rejected: %w", err)
	}
	var pretty bytes.Buffer
	json.Indent(&pretty, out, "", "  ")
	fmt.Fprintf(stdout, "presentation accepted:\n%s\n", pretty.Bytes())
	return nil
}

// holding gathers what proving needs: the issuer's ZK key from its DID
// document, and its revocation tree rebuilt from the published snapshot,
// checked against the signed root (which must be fresh enough for the
// request).
func (c *command) holding(ctx context.Context, res did.Resolver, e *entry, secret *credential.HolderSecret, maxAge time.Duration) (*protocol.Holding, error) {
	h, _, err := c.heldWithRoot(ctx, res, e, secret, maxAge)
	return h, err
}

// heldWithRoot is holding that also returns the issuer's signed root
// token the tree was checked against.
func (c *command) heldWithRoot(ctx context.Context, res did.Resolver, e *entry, secret *credential.HolderSecret, maxAge time.Duration) (*protocol.Holding, string, error) {
	st := e.Stored
	zk, err := did.ResolveZKKey(ctx, res, st.ZKKeyID)
	if err != nil {
		return nil, "", err
	}
	tok, err := c.fetch(ctx, "GET", e.IssuerURL+"/revocation/root", "", nil)
	if err != nil {
		return nil, "", err
	}
	claims, err := status.VerifySignedRoot(ctx, res, strings.TrimSpace(string(tok)), status.VerifyRootOptions{Issuer: st.Issuer, MaxAge: maxAge})
	if err != nil {
		return nil, "", err
	}
	snapB, err := c.fetch(ctx, "GET", e.IssuerURL+"/revocation/snapshot", "", nil)
	if err != nil {
		return nil, "", err
	}
	snap, err := status.ReadSnapshot(bytes.NewReader(snapB), status.DefaultMaxSnapshotIDs)
	if err != nil {
		return nil, "", err
	}
	if snap.Root != claims.Root || snap.Sequence != claims.Sequence || snap.Depth != claims.Depth {
		return nil, "", fmt.Errorf("the issuer's snapshot (sequence %d) does not match its signed root (sequence %d): retry", snap.Sequence, claims.Sequence)
	}
	tree, err := snap.Tree()
	if err != nil {
		return nil, "", err
	}
	return &protocol.Holding{Credential: st, Secret: secret, IssuerKey: zk, Revocation: tree}, strings.TrimSpace(string(tok)), nil
}
