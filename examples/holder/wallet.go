package main

import (
	"bytes"
	"context"
	"crypto/rand"
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
	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/did"
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

var httpClient = &http.Client{Timeout: 60 * time.Second}

// maxResponse bounds what the wallet reads from issuers and verifiers
// (revocation snapshots: 8 bytes per revoked id).
const maxResponse = 64 << 20

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

// fetch GETs or POSTs u and returns the body of a 2xx answer; other
// answers become errors carrying the body's message.
func fetch(ctx context.Context, method, u, contentType string, body []byte) ([]byte, error) {
	r, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	res, err := httpClient.Do(r)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, u, err)
	}
	if len(b) > maxResponse {
		return nil, fmt.Errorf("%s %s: response too large", method, u)
	}
	if res.StatusCode/100 != 2 {
		return b, &httpError{method: method, url: u, status: res.StatusCode, body: string(b)}
	}
	return b, nil
}

type httpError struct {
	method, url string
	status      int
	body        string
}

func (e *httpError) Error() string {
	msg := strings.TrimSpace(e.body)
	if len(msg) > 300 {
		msg = msg[:300] + "..."
	}
	return fmt.Sprintf("%s %s: %d %s", e.method, e.url, e.status, msg)
}

func (c *command) request(ctx context.Context, issuerURL, attrs string, stdout io.Writer) error {
	secret, err := c.secret()
	if err != nil {
		return err
	}
	if strings.HasPrefix(attrs, "@") {
		b, err := os.ReadFile(attrs[1:])
		if err != nil {
			return err
		}
		attrs = string(b)
	}
	var values map[string]any
	dec := json.NewDecoder(strings.NewReader(attrs))
	dec.UseNumber()
	if err := dec.Decode(&values); err != nil {
		return fmt.Errorf("-attrs: %w", err)
	}
	issuerURL = strings.TrimRight(issuerURL, "/")
	cm := secret.Commitment()
	cb := cm.Bytes()
	body, err := json.Marshal(map[string]any{"holderCommitment": hex.EncodeToString(cb[:]), "attributes": values})
	if err != nil {
		return err
	}
	b, err := fetch(ctx, "POST", issuerURL+"/credentials", "application/json", body)
	if err != nil {
		return err
	}
	st, err := credential.ParseStored(b)
	if err != nil {
		return err
	}
	// Check everything before keeping it: bound to our secret, JWT and ZK
	// signature by keys in the issuer's DID document.
	if err := st.CheckHolder(secret); err != nil {
		return err
	}
	res, err := c.resolver()
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
	fmt.Fprintf(stdout, "stored credential %s from %s (valid until %s)\n", vc.ID, st.Issuer, vc.ValidUntil.Format(time.DateOnly))
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
		var e entry
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil || e.Version != entryVersion || e.Stored == nil {
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
	b, err := fetch(ctx, "GET", p.requestURL, "", nil)
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
	h, err := holding(ctx, res, e, secret, time.Duration(req.MaxRootAge)*time.Second)
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
	out, err := fetch(ctx, "POST", strings.TrimRight(u.String(), "/")+"/presentations", "application/json", sub)
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
func holding(ctx context.Context, res did.Resolver, e *entry, secret *credential.HolderSecret, maxAge time.Duration) (*protocol.Holding, error) {
	st := e.Stored
	zk, err := did.ResolveZKKey(ctx, res, st.ZKKeyID)
	if err != nil {
		return nil, err
	}
	tok, err := fetch(ctx, "GET", e.IssuerURL+"/revocation/root", "", nil)
	if err != nil {
		return nil, err
	}
	claims, err := status.VerifySignedRoot(ctx, res, strings.TrimSpace(string(tok)), status.VerifyRootOptions{Issuer: st.Issuer, MaxAge: maxAge})
	if err != nil {
		return nil, err
	}
	snapB, err := fetch(ctx, "GET", e.IssuerURL+"/revocation/snapshot", "", nil)
	if err != nil {
		return nil, err
	}
	snap, err := status.ReadSnapshot(bytes.NewReader(snapB), status.DefaultMaxSnapshotIDs)
	if err != nil {
		return nil, err
	}
	if snap.Root != claims.Root || snap.Sequence != claims.Sequence || snap.Depth != claims.Depth {
		return nil, fmt.Errorf("the issuer's snapshot (sequence %d) does not match its signed root (sequence %d): retry", snap.Sequence, claims.Sequence)
	}
	tree, err := snap.Tree()
	if err != nil {
		return nil, err
	}
	return &protocol.Holding{Credential: st, Secret: secret, IssuerKey: zk, Revocation: tree}, nil
}
