package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
)

// heldMaxRootAge bounds the age of the issuer's signed root when the
// wallet loads its credentials for OpenID4VP; each request's own limit
// (zkcred_max_root_age) is checked by openid4vp.Answer.
const heldMaxRootAge = 24 * time.Hour

// isOpenID4VP reports whether -request is an OpenID4VP Authorization
// Request (a link or QR code text) rather than zkcred's own request URL.
func isOpenID4VP(s string) bool {
	return !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://")
}

// presentOpenID4VP answers an OpenID4VP Authorization Request with
// openid4vp.Answer: it loads every credential of the wallet with its
// issuer's signed revocation root and rebuilt tree (the proof is made
// against that root, which the response carries: the verifier does not
// ask the agency), lets the library fetch and verify the signed Request
// Object and choose a credential by the DCQL query, prints the plain-words
// Description and asks for consent before any proving, and posts the
// response to the verifier.
func (c *command) presentOpenID4VP(ctx context.Context, p *presentFlags, in io.Reader, stdout, stderr io.Writer) error {
	secret, err := c.secret()
	if err != nil {
		return err
	}
	es, err := c.entries()
	if err != nil {
		return err
	}
	res, err := c.resolver()
	if err != nil {
		return err
	}
	cl, err := c.httpClient()
	if err != nil {
		return err
	}
	var held []openid4vp.Held
	for _, e := range es {
		if p.credential != "" && p.credential != e.ID {
			continue
		}
		// The checkpoint and witness of the last sync (sync.go), if any:
		// nothing is fetched from the agency.
		note, w, err := c.syncedHolding(e)
		if err != nil {
			fmt.Fprintf(stderr, "holder: skipping credential %s: %v\n", e.ID, err)
			continue
		}
		if note != nil {
			zk, err := did.ResolveZKKey(ctx, res, e.Stored.ZKKeyID)
			if err != nil {
				fmt.Fprintf(stderr, "holder: skipping credential %s: %v\n", e.ID, err)
				continue
			}
			held = append(held, openid4vp.Held{Holding: protocol.Holding{Credential: e.Stored, Secret: secret, IssuerKey: zk, NonRevoked: w}, Checkpoint: note})
			continue
		}
		h, root, err := c.heldWithRoot(ctx, res, e, secret, heldMaxRootAge)
		if err != nil {
			fmt.Fprintf(stderr, "holder: skipping credential %s: %v\n", e.ID, err)
			continue
		}
		held = append(held, openid4vp.Held{Holding: *h, SignedRoot: root})
	}
	keys, err := loadKeys(p.keys, p.unsafeSetup, p.shape, stderr)
	if err != nil {
		return err
	}
	var start time.Time
	consent := func(_ context.Context, d *openid4vp.Description) error {
		fmt.Fprint(stdout, d.String())
		if !p.yes {
			fmt.Fprint(stdout, "Send this proof? [y/N] ")
			line, _ := bufio.NewReader(in).ReadString('\n')
			if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
				fmt.Fprintln(stdout, "nothing was proven or sent")
				return errors.New("declined on the terminal")
			}
		}
		fmt.Fprintf(stderr, "holder: proving (verifying key %s)\n", keys.VerifyingKey.Fingerprint())
		start = time.Now()
		return nil
	}
	ans, err := openid4vp.Answer(ctx, openid4vp.AnswerConfig{
		Fetch: cl, Resolver: res, Keys: keys, Credentials: held, Consent: consent,
		Verify: &openid4vp.VerifyOptions{InsecureAllowHTTP: c.insecureLocal},
	}, p.requestURL)
	if err != nil {
		if errors.Is(err, openid4vp.ErrNoCredential) {
			return fmt.Errorf("no credential in %s fits the request (unrevoked, unexpired, of a trusted issuer, satisfying it): %w", c.wallet, err)
		}
		return fmt.Errorf("presentation not accepted: %w", err)
	}
	fmt.Fprintf(stderr, "holder: proof made and sent in %v\n", time.Since(start).Round(time.Millisecond))
	var pretty bytes.Buffer
	if json.Indent(&pretty, ans.Body, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(ans.Body)
	}
	fmt.Fprintf(stdout, "presentation accepted:\n%s\n", pretty.Bytes())
	return nil
}
