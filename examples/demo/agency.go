package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/status/registry"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/fetch"
)

// agencyHost is the agency's web origin. did:web:agency.example is served
// at https://agency.example/.well-known/did.json (.example is reserved for
// examples, RFC 2606, so the name can never reach a real server).
const agencyHost = "agency.example"

// Where the agency publishes its revocation state.
const (
	rootPath     = "/revocation/root.jwt"     // signed root (status.RootClaims JWS)
	snapshotPath = "/revocation/snapshot.bin" // holder snapshot (status.Snapshot v1)
)

// agency is the issuer: a did:web DID whose document lists a JOSE Ed25519
// key (VC-JWTs, signed revocation roots) and a BN254 ZK key (the
// signature the holder proves about), both in assertionMethod, and a
// durable revocation registry.
type agency struct {
	DID      string
	doc      *did.Document
	issuer   *credential.Issuer
	store    *registry.BoltStore
	registry *registry.Registry
	log      publicLog // publiclog.go
}

// newAgency creates the agency's keys and DID document and opens its
// revocation registry (a bbolt file in dir) with a tree of the given depth.
func newAgency(dir string, depth int) (*agency, error) {
	id, err := did.WebDID(agencyHost)
	if err != nil {
		return nil, err
	}
	josePub, joseKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	zkKey, err := credential.GenerateZKKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	a := &agency{DID: id, doc: &did.Document{ID: id, Context: []any{did.ContextDIDv1}}}
	a.issuer = &credential.Issuer{
		DID: id, JOSEKey: joseKey, JOSEKeyID: id + "#jose-1", ZKKey: zkKey, ZKKeyID: id + "#zk-1",
	}
	for kid, pub := range map[string]any{a.issuer.JOSEKeyID: josePub, a.issuer.ZKKeyID: zkKey.Public()} {
		vm, err := did.NewMultikeyMethod(kid, id, pub)
		if err != nil {
			return nil, err
		}
		if err := a.doc.AddVerificationMethod(vm, did.AssertionMethod); err != nil {
			return nil, err
		}
	}
	if err := addLogService(a.doc); err != nil {
		return nil, err
	}
	if a.store, err = registry.OpenBoltStore(filepath.Join(dir, "agency-registry.db")); err != nil {
		return nil, err
	}
	a.registry, err = registry.Open(a.store, registry.Config{
		Depth: depth, Issuer: id, KeyID: a.issuer.JOSEKeyID, Signer: joseKey,
	})
	if err != nil {
		a.store.Close()
		return nil, err
	}
	return a, nil
}

func (a *agency) Close() error {
	a.log.close()
	return a.store.Close()
}

// issue issues a credential to the holder whose secret commits to
// holderCommitment, with a fresh revocation id from the registry.
func (a *agency) issue(schema *credential.Schema, values map[string]any, holderCommitment fr.Element, validUntil time.Time) (*credential.Stored, error) {
	rev, err := a.registry.NewRevocationID()
	if err != nil {
		return nil, err
	}
	return a.issuer.Issue(credential.IssueRequest{
		Schema: schema, Values: values, HolderCommitment: holderCommitment,
		ValidUntil: validUntil, RevocationID: rev, Types: []string{"ResidenceCredential"},
	})
}

// handler serves what the agency publishes: its DID document and its
// signed revocation root and snapshot, always the current ones.
func (a *agency) handler() (http.Handler, error) {
	docPath, err := did.WebDocumentPath(a.DID)
	if err != nil {
		return nil, err
	}
	docHandler, err := did.DocumentHandler(a.doc)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+docPath, docHandler)
	mux.Handle("GET "+logPath+"/", a.logHandler()) // publiclog.go
	mux.HandleFunc("GET "+rootPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jwt")
		io.WriteString(w, a.registry.SignedRoot())
	})
	mux.HandleFunc("GET "+snapshotPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		if _, err := a.registry.Snapshot().WriteTo(w); err != nil {
			http.Error(w, "snapshot unavailable", http.StatusInternalServerError)
		}
	})
	return mux, nil
}

// network stands in for the internet: an HTTPS server in this process
// answers for agencyHost with a certificate that only the demo's client
// trusts, and the client sends connections for agencyHost to it (there is
// no DNS lookup). Everything above TCP is real: TLS with certificate
// verification, did:web resolution with did.WebResolver, and fetches
// under the library's outbound policy (did/fetch), with loopback allowed
// for this client only.
type network struct {
	srv     *http.Server
	ln      net.Listener
	tlsConf *tls.Config
	client  *fetch.Client
	dial    map[string]string // host:443 → the listener

	mu    sync.Mutex
	hosts map[string]http.Handler
}

// verifierHosts are the verifiers' did:web hosts, served by the same
// in-process HTTPS server as the agency (one certificate names them all).
var verifierHosts = []string{"shop.example", "portal.example", "vote.example"}

func newNetwork(h http.Handler) (*network, error) {
	hosts := append([]string{agencyHost, witnessHost}, verifierHosts...)
	cert, pool, err := selfSignedCert(hosts...)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	n := &network{ln: ln, hosts: map[string]http.Handler{agencyHost: h}, dial: map[string]string{}}
	for _, host := range hosts {
		n.dial[host+":443"] = ln.Addr().String()
	}
	n.srv = &http.Server{
		Handler:           http.HandlerFunc(n.serve),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13},
		ReadHeaderTimeout: 5 * time.Second,
	}
	n.tlsConf = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13}
	n.client, err = fetch.New(&fetch.Config{
		TLSConfig: n.tlsConf, Timeout: 10 * time.Second, MaxBytes: 64 << 20,
		DialAddrs:                     n.dial,
		InsecureAllowPrivateAddresses: true, // the hosts' only address is loopback
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	go n.srv.ServeTLS(ln, "", "")
	return n, nil
}

// handle serves host with h (a verifier joining the network).
func (n *network) handle(host string, h http.Handler) {
	n.mu.Lock()
	n.hosts[host] = h
	n.mu.Unlock()
}

// serve dispatches by host name, as virtual hosts on one address.
func (n *network) serve(w http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	n.mu.Lock()
	h := n.hosts[host]
	n.mu.Unlock()
	if h == nil {
		http.NotFound(w, r)
		return
	}
	h.ServeHTTP(w, r)
}

func (n *network) Close() error {
	n.client.CloseIdleConnections()
	return n.srv.Close()
}

// get fetches https://agencyHost+path.
func (n *network) get(ctx context.Context, path string) ([]byte, error) {
	resp, err := n.client.Get(ctx, "https://"+agencyHost+path, "")
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", resp.URL, resp.Status)
	}
	return resp.Body, nil
}

// resolver returns a DID resolver for did:web over the demo network. The
// agency's only address is loopback, which did.WebResolver refuses by
// default (a server-side request forgery guard): the demo allows it for
// this client only.
func (n *network) resolver() (did.Resolver, error) {
	web, err := did.NewWebResolver(&did.WebConfig{
		TLSConfig:             n.tlsConf,
		DialAddrs:             n.dial,
		AllowPrivateAddresses: true,
	})
	if err != nil {
		return nil, err
	}
	return did.NewResolver(&did.ResolverConfig{Methods: map[string]did.Resolver{"web": web}})
}

// revocationTree is what a holder does before proving, on its own
// schedule: sync the agency's revocation log (the checkpoint checked for
// the agency's signature, the witness's cosignature and consistency with
// the one the wallet holds; only missing tiles fetched), fetch the snapshot
// and check it rebuilds to the checkpoint's root, and return the tree and
// the checkpoint the wallet carries to verifiers. The agency never learns
// which credential asks.
func (d *demo) revocationTree(ctx context.Context) (*status.Tree, string, error) {
	n := d.net
	cp, err := d.wallet.Sync(ctx)
	if err != nil {
		return nil, "", err
	}
	claims := status.RootClaims{Root: cp.Indexed.Root, Depth: cp.Indexed.Depth}
	b, err := n.get(ctx, snapshotPath)
	if err != nil {
		return nil, "", err
	}
	snap, err := status.ParseSnapshot(b)
	if err != nil {
		return nil, "", err
	}
	if !snap.Root.Equal(&claims.Root) || snap.Depth != claims.Depth {
		return nil, "", errors.New("revocation snapshot does not match the checkpoint")
	}
	t, err := snap.Tree()
	if err != nil {
		return nil, "", err
	}
	return t, string(cp.Note), nil
}

// selfSignedCert returns a short-lived certificate for hosts and a pool
// that trusts it.
func selfSignedCert(hosts ...string) (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: hosts[0]},
		DNSNames:              hosts,
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}
