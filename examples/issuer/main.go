// Command issuer runs an agency's credential issuer over HTTP: it serves
// the agency's did:web DID document, issues zkcred person credentials from
// the agency's register over OpenID for Verifiable Credential Issuance 1.0
// (package credential/openid4vci: Pre-Authorized Code flow with a PIN),
// publishes the signed revocation root, the revocation snapshot holders
// compute their non-revocation witnesses from, and the W3C Bitstring Status
// List credential, and on authenticated back-office requests creates
// credential offers and revokes credentials.
//
// "issuer offer" is the back office's command: it asks a running issuer for
// an offer for one register record and prints the offer URI, its QR code
// and the PIN to send the citizen on another channel.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"

	"github.com/zkcred/zkcred/examples/internal/serve"
)

const usage = `usage: issuer [flags]
       issuer offer -record ID [-issuer URL] [-data DIR | -admin-token-file FILE] [-qr FILE]
       issuer migrate-keys -data DIR     (encrypt a plaintext keys.json of an older issuer)

Runs an agency's credential issuer on HTTP. It issues what the agency's
register (-register, default DATA/register.json) says, over OpenID4VCI 1.0:

  GET  /.well-known/did.json                    the agency's DID document (did:web layout)
  GET  /.well-known/openid-credential-issuer    OpenID4VCI Credential Issuer Metadata
  GET  /.well-known/oauth-authorization-server  OAuth 2.0 Authorization Server Metadata
  GET  /offers/{id}                             a credential offer, by reference
  POST /token                                   token endpoint (pre-authorized code + PIN)
  POST /nonce                                   nonce endpoint (c_nonce)
  POST /credential                              credential endpoint (the holder's stored
                                                credential, zkcred-credential-v1)
  GET  /revocation/root                         the signed revocation root (compact JWS)
  GET  /revocation/snapshot                     the revocation snapshot (binary, zkcrrev v1)
  GET  /status/1                                the Bitstring Status List credential (VC-JWT)
  GET  /log/revocation/...                      the public revocation log (C2SP tlog-tiles:
                                                checkpoint, tile/..., and subtrees/<n>/<j>),
                                                cosigned by the -witness witnesses
  GET  /log/keys/...                            the keys log: every DID document version
  POST /admin/offers                            {"recordId": "citizen-1"} -> 201 {"offerId",
                                                "uri", "valueUri", "txCode", "expiresAt"}
  POST /revoke                                  {"offerId": "..."}: revoke what that offer issued
  (the last two with "Authorization: Bearer <admin token>")

"issuer offer" asks a running issuer for an offer for register record ID
and prints the offer URI, a QR code of it and the PIN (send the PIN to the
citizen on another channel than the offer).

The agency's keys are kept in DATA/keys.age, encrypted with age to the
passphrase in the environment variable ZKCRED_KEY_PASSPHRASE (or in
-key-passphrase-file FILE), or to an age identity (-key-identity FILE).

The DID is did:web:<domain>. did:web requires HTTPS on a public name: for
local use, serve plain HTTP on loopback and run the holder and verifier with
-insecure-local.

Operations:
  GET  /healthz    200 while the process serves
  GET  /readyz     200 when its stores answer (keys are loaded at start), else 503;
                   the reason is logged
  GET  /metrics    Prometheus metrics (zkcred_issuer_*, zkcred_http_*, Go runtime
                   and process); with -metrics-addr only there, off the public
                   address; keep /admin for the back office's network too

Logs go to stderr (-log-format text or json, -log-level): each refused
request is one info line with its reason code and request id (the
X-Request-Id header, echoed in the response), never a PIN, token or
attribute value; server-side failures are warn and error lines. SIGINT or
SIGTERM stops it gracefully (requests in flight finish, stores close).
One issuer per -data directory: a second one is refused.

` + serve.EnvHelp + `
flags:
`

const examples = `
examples:
  issuer -data ./agency -addr 127.0.0.1:8081
  issuer offer -data ./agency -record citizen-1          # to the issuer at 127.0.0.1:8081
  issuer -data ./agency -domain agency.example -addr :443 -tls-cert cert.pem -tls-key key.pem
  issuer -data ./agency -export ./out     # write did.json, a VC-JWT, the status list; exit
  ZKCRED_DATA=/var/lib/agency ZKCRED_LOG_FORMAT=json issuer -addr :8081
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if len(os.Args) > 1 && os.Args[1] == "offer" {
		err = runOffer(ctx, os.Args[2:], os.Stdout, os.Stderr)
	} else if len(os.Args) > 1 && os.Args[1] == "migrate-keys" {
		err = runMigrateKeys(os.Args[2:], os.Getenv, os.Stdout, os.Stderr)
	} else {
		err = run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil)
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintf(os.Stderr, "issuer: error: %v\n", err)
		os.Exit(1)
	}
}

// getenv reads the ZKCRED_* variables (a variable for tests).
var getenv = os.Getenv

// onListen, if set (by tests), receives the base URL once the server
// listens.
var onListen func(baseURL string)

type options struct {
	addr, data, domain, export     string
	register                       string
	adminToken                     string
	slots, depth                   int
	validFor, rootRefresh, listTTL time.Duration
	registryPG                     string   // PostgreSQL DSN of a shared revocation registry
	witnesses                      []string // -witness VKEY@URL (publiclog.go)
	// keys.age (keys.go): the passphrase comes from the environment,
	// never from a flag.
	keyIdentity, keyPassphraseFile, keyPassphrase string
	serve.Common
	metrics *prometheus.Registry // of the server (run), nil for -export
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("issuer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
		fmt.Fprint(stderr, examples)
	}
	o := &options{}
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8081", "listen address")
	fs.StringVar(&o.data, "data", "", "data directory: keys, revocation registry, OpenID4VCI state, register (required)")
	fs.StringVar(&o.domain, "domain", "", "host[:port] of the did:web DID and of published URLs (default: the listen address)")
	fs.StringVar(&o.export, "export", "", "write did.json, credential.jwt, statuslist.jwt, root.jwt and snapshot.bin into `DIR` and exit")
	fs.StringVar(&o.register, "register", "", "the agency's register: a zkcred-register-v1 JSON `FILE` of citizen records (default DATA/register.json, created from a sample if missing)")
	fs.StringVar(&o.adminToken, "admin-token-file", "", "file holding the bearer token for POST /admin/offers and POST /revoke, created if missing (default DATA/admin.token)")
	fs.IntVar(&o.slots, "slots", 16, "slots of the credential schema: the circuit shape's slot count")
	fs.IntVar(&o.depth, "revocation-depth", 24, "revocation tree depth: the circuit shape's revocation depth (fixed when the registry is created)")
	fs.DurationVar(&o.validFor, "valid-for", 365*24*time.Hour, "validity of issued credentials")
	fs.DurationVar(&o.rootRefresh, "root-refresh", time.Hour, "re-sign the unchanged revocation root this often (keep it well below verifiers' maxRootAge)")
	fs.DurationVar(&o.listTTL, "status-list-ttl", 24*time.Hour, "validity of the published status list credential")
	fs.StringVar(&o.registryPG, "registry-pg", "", "PostgreSQL `DSN` of the revocation registry, shared by several issuer instances (one writes, the others serve reads and take over); default DATA/registry.db (bbolt); a DSN may hold a password: prefer the variable")
	fs.Func("witness", "a witness of the agency's public logs, `VKEY@URL`: its verifier key (as examples/witness prints it) and its add-checkpoint URL; repeat for several", func(v string) error {
		o.witnesses = append(o.witnesses, v)
		return nil
	})
	keyFlags(fs, o)
	o.keyPassphrase = os.Getenv(envPassphrase)
	o.Common.Register(fs)
	serve.DocumentEnv(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	var err error
	if o.EnvApplied, err = serve.FromEnvNames(fs, getenv); err != nil {
		return nil, err
	}
	if o.registryPG == "" {
		o.registryPG = os.Getenv("ZKCRED_REGISTRY_PG") // a DSN may hold a password: keep it out of ps
	}
	switch {
	case o.data == "":
		fs.Usage()
		return nil, errors.New("bad arguments: missing -data DIR (the agency's keys, registry and state; created if new, e.g. -data ./agency)")
	case fs.NArg() != 0:
		fs.Usage()
		return nil, fmt.Errorf("bad arguments: unexpected %q", fs.Arg(0))
	case o.rootRefresh <= 0:
		return nil, errors.New("bad arguments: -root-refresh must be positive")
	}
	if err := o.Common.Check(); err != nil {
		fs.Usage()
		return nil, fmt.Errorf("bad arguments: %w", err)
	}
	if o.adminToken == "" {
		o.adminToken = filepath.Join(o.data, "admin.token")
	}
	return o, nil
}

// run parses args, opens the agency's state and serves until ctx ends
// (or exports and returns). A nil logger means the one -log-format and
// -log-level ask for, writing to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if logger == nil {
		if logger, err = o.Logger(stderr); err != nil {
			return err
		}
	}
	if len(o.EnvApplied) > 0 {
		logger.Info("settings from the environment", "variables", o.EnvApplied)
	}
	if o.export == "" {
		o.metrics = serve.NewRegistry()
	}
	var ln net.Listener
	if o.export == "" {
		if ln, err = net.Listen("tcp", o.addr); err != nil {
			return err
		}
		defer ln.Close()
	}
	domain := o.domain
	if domain == "" {
		domain = o.addr
		if ln != nil {
			domain = ln.Addr().String()
		}
	}
	a, err := openAgency(o, domain, o.Scheme()+"://"+domain, logger)
	if errors.Is(err, bolt.ErrTimeout) {
		return fmt.Errorf("another issuer is using %s (its database files are locked): stop that one first, or give this one its own -data directory", o.data)
	}
	if err != nil {
		return err
	}
	defer a.Close()
	if o.export != "" {
		return a.export(o.export, stdout)
	}

	srv := &http.Server{
		Handler:           serve.Handler(a.handler(), serve.Ops{Ready: a.ready, Registry: o.metrics, Logger: logger}),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go a.refreshRoots(ctx, o.rootRefresh)
	logger.Info("issuer: listening", "addr", ln.Addr().String(), "did", a.did, "url", a.baseURL, "admin_token_file", o.adminToken, "tls", o.TLSCert != "")
	if onListen != nil {
		onListen(a.baseURL)
	}
	// Serve returns once in-flight requests finished; the deferred
	// a.Close then closes the stores.
	return o.Serve(ctx, srv, ln, logger)
}

// registerer is the registry the library's metrics go to: nil (an
// interface holding no pointer) when there is none.
func (o *options) registerer() prometheus.Registerer {
	if o.metrics == nil {
		return nil
	}
	return o.metrics
}
