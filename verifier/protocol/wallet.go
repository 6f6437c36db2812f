package protocol

import (
	"fmt"
	"slices"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/zkp"
)

// Holding is what a wallet needs to answer a request with one credential.
type Holding struct {
	// Credential is the stored credential (credential.Issuer.Issue).
	Credential *credential.Stored
	// Secret is the holder secret the credential is bound to. It must be
	// kept secret.
	Secret *credential.HolderSecret
	// IssuerKey is the issuer's ZK key named by Credential.ZKKeyID, as
	// did.ResolveZKKey returns it from the issuer's DID document.
	IssuerKey *did.ZKPublicKey
	// Revocation is the issuer's revocation tree, rebuilt from its
	// published snapshot (status.Snapshot.Tree) whose root the wallet has
	// checked against the issuer's current signed root: the verifier
	// checks the proof against that root.
	Revocation *status.Tree
}

// Answer proves, with keys, that the holding satisfies req, and returns the
// submission ([NewSubmission]) to post to the verifier
// (POST /requests/{id}/presentations).
// audience is the verifier the wallet knows it is talking to (for a request
// fetched over HTTP, the origin it was fetched from, or what the user
// confirmed): a request whose audience differs is refused with
// [ErrCannotAnswer], so a site that relays another verifier's live request
// cannot obtain a proof that verifier would accept.
// It compiles the request exactly as the verifier does ([Request.Compile]),
// computes the set and non-revocation witnesses and calls zkp.Prove. Errors
// wrap [ErrCannotAnswer], zkp.ErrUnsatisfied (naming the failing
// predicate) or the error of the package that refused an input.
func (h *Holding) Answer(keys *zkp.Keys, req *Request, audience string) ([]byte, error) {
	c := h.Credential
	switch {
	case keys == nil || req == nil:
		return nil, fmt.Errorf("%w: no keys or request", ErrCannotAnswer)
	case req.Audience != audience:
		return nil, fmt.Errorf("%w: the request is for audience %.200q, not %.200q (a relayed request?)", ErrCannotAnswer, req.Audience, audience)
	case c == nil || h.Secret == nil || h.IssuerKey == nil || h.Revocation == nil:
		return nil, fmt.Errorf("%w: incomplete holding", ErrCannotAnswer)
	case !slices.Contains(req.Issuers, c.Issuer):
		return nil, fmt.Errorf("%w: issuer %s is not among the request's issuers", ErrCannotAnswer, c.Issuer)
	case c.Schema == nil || c.Schema.Name != req.Schema.Name || c.Schema.Version != req.Schema.Version:
		return nil, fmt.Errorf("%w: the request asks for schema %.80q version %d", ErrCannotAnswer, req.Schema.Name, req.Schema.Version)
	}
	if err := c.CheckHolder(h.Secret); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCannotAnswer, err)
	}
	compiled, err := req.Compile(c.Schema, keys.VerifyingKey.Shape())
	if err != nil {
		return nil, err
	}
	rw, err := status.NonRevocationWitness(h.Revocation, c.RevocationID)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCannotAnswer, err)
	}
	w := &zkp.Witness{
		Credential: zkp.Credential{
			SchemaID: c.Schema.ID(), Slots: c.Slots, RevocationID: c.RevocationID,
			Expiry: c.Expiry, Signature: c.Signature,
		},
		Secret:     h.Secret.Element(),
		Revocation: rw,
		Sets:       make([]*status.Witness, compiled.Shape.Predicates),
	}
	for i, p := range compiled.Predicates {
		if compiled.Sets[i] == nil {
			continue
		}
		if p.Slot < 0 || p.Slot >= len(c.Slots) {
			return nil, fmt.Errorf("%w: predicate slot %d outside the credential", ErrCannotAnswer, p.Slot)
		}
		v := c.Slots[p.Slot]
		if p.Op == zkp.OpInSet {
			w.Sets[i], err = compiled.Sets[i].Membership(v)
		} else {
			w.Sets[i], err = compiled.Sets[i].NonMembership(v)
		}
		if err != nil {
			// The value is (not) in the set when it must not (must) be.
			return nil, fmt.Errorf("%w: predicate %d (%s %s): %w", zkp.ErrUnsatisfied, compiled.Order[i],
				req.Predicates[compiled.Order[i]].Attribute, req.Predicates[compiled.Order[i]].Op, err)
		}
	}
	pres, err := zkp.Prove(keys, compiled.Statement(h.IssuerKey, h.Revocation.Root()), w)
	if err != nil {
		return nil, err
	}
	return NewSubmission(c.ZKKeyID, pres)
}
