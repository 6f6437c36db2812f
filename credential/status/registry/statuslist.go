package registry

import (
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status"
)

// NewEntry allocates a random index in status list name (durably) and
// returns the entry to put in a credential's credentialStatus; listURL is
// where the list's credential is published.
func (r *Registry) NewEntry(name, purpose, listURL string) (*status.Entry, error) {
	idx, err := r.AllocateStatusIndex(name)
	if err != nil {
		return nil, err
	}
	return &status.Entry{
		ID:                   listURL + "#" + status.FormatStatusListIndex(idx),
		StatusPurpose:        purpose,
		StatusListIndex:      status.FormatStatusListIndex(idx),
		StatusListCredential: listURL,
	}, nil
}

// StatusListCredential returns the BitstringStatusListCredential of list
// name (§2.2) with id listURL, as a VC-JOSE JWT signed by the registry's
// key (credential.IssueJWT). It is valid from now for validFor (0: no
// validUntil); publish it at listURL.
func (r *Registry) StatusListCredential(name, purpose, listURL string, validFor time.Duration) (string, error) {
	bits, err := r.StatusBits(name)
	if err != nil {
		return "", err
	}
	enc, err := status.EncodeList(bits)
	if err != nil {
		return "", err
	}
	now := r.cfg.Now().UTC().Truncate(time.Second)
	c := &credential.Credential{
		Context:   []any{credential.ContextV2},
		ID:        listURL,
		Type:      []string{credential.TypeVerifiableCredential, status.TypeStatusListCredential},
		Issuer:    credential.IssuerRef{ID: r.cfg.Issuer},
		ValidFrom: now,
		CredentialSubject: []credential.Subject{{
			ID: listURL + "#list",
			Claims: map[string]any{
				"type":          status.TypeStatusList,
				"statusPurpose": purpose,
				"encodedList":   enc,
			},
		}},
	}
	if validFor > 0 {
		c.ValidUntil = now.Add(validFor)
	}
	return credential.IssueJWT(c, r.cfg.Signer, r.cfg.KeyID, now)
}
