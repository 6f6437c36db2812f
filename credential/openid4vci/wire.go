package openid4vci

import "encoding/json"

// Endpoint paths served by the issuer (package issuer), relative to the
// Credential Issuer Identifier.
const (
	PathIssuerMetadata = "/.well-known/openid-credential-issuer"
	PathASMetadata     = "/.well-known/oauth-authorization-server"
	PathToken          = "/token"
	PathNonce          = "/nonce"
	PathCredential     = "/credential"
	PathOffers         = "/offers/" // + offer id
)

// Format is the credential format identifier of a zkcred credential in
// OpenID4VCI (PROFILE.md): the credential is a zkcred stored credential
// (credential.StoredFormat, credential/FORMAT.md), a JSON object.
const Format = "zkcred_vc+jwt"

// Profile names this package's OpenID4VCI profile (PROFILE.md).
const Profile = "zkcred-openid4vci-v1"

// Display is a display object of the metadata (name, locale, description;
// OpenID4VCI 1.0 §12.2.4).
type Display struct {
	Name        string `json:"name"`
	Locale      string `json:"locale,omitempty"`
	Description string `json:"description,omitempty"`
}

// IssuerMetadata is the Credential Issuer Metadata (§12.2.4), the members
// this profile writes and the wallet reads.
type IssuerMetadata struct {
	CredentialIssuer     string                              `json:"credential_issuer"`
	AuthorizationServers []string                            `json:"authorization_servers,omitempty"`
	CredentialEndpoint   string                              `json:"credential_endpoint"`
	NonceEndpoint        string                              `json:"nonce_endpoint,omitempty"`
	Display              []Display                           `json:"display,omitempty"`
	Configurations       map[string]*CredentialConfiguration `json:"credential_configurations_supported"`
}

// CredentialConfiguration is one entry of
// credential_configurations_supported, as this profile writes it.
type CredentialConfiguration struct {
	Format         string                `json:"format"`
	Profile        string                `json:"zkcred_profile,omitempty"`
	BindingMethods []string              `json:"cryptographic_binding_methods_supported,omitempty"`
	SigningAlgs    []string              `json:"credential_signing_alg_values_supported,omitempty"`
	ProofTypes     map[string]ProofType  `json:"proof_types_supported,omitempty"`
	CredentialDef  *CredentialDefinition `json:"credential_definition,omitempty"`
	// Schema is the zkcred schema (credential.SchemaFormat) of the credential.
	Schema   json.RawMessage     `json:"zkcred_schema,omitempty"`
	Metadata *CredentialMetadata `json:"credential_metadata,omitempty"`
}

// ProofType is an entry of proof_types_supported.
type ProofType struct {
	SigningAlgs []string `json:"proof_signing_alg_values_supported"`
	Profile     string   `json:"zkcred_proof_profile,omitempty"`
}

// CredentialDefinition lists the VC types.
type CredentialDefinition struct {
	Type []string `json:"type"`
}

// CredentialMetadata holds display and claims (1.0 §12.2.4).
type CredentialMetadata struct {
	Display []Display          `json:"display,omitempty"`
	Claims  []ClaimDescription `json:"claims,omitempty"`
}

// ClaimDescription describes one claim of the credential by its path.
type ClaimDescription struct {
	Path    []string  `json:"path"`
	Display []Display `json:"display,omitempty"`
}

// AuthorizationServerMetadata is the OAuth 2.0 Authorization Server
// Metadata (RFC 8414) the issuer serves.
type AuthorizationServerMetadata struct {
	Issuer                  string   `json:"issuer"`
	TokenEndpoint           string   `json:"token_endpoint"`
	GrantTypes              []string `json:"grant_types_supported"`
	ResponseTypes           []string `json:"response_types_supported"`
	PreAuthAnonymousAllowed bool     `json:"pre-authorized_grant_anonymous_access_supported"`
}

// TokenResponse is the token endpoint's success response (§6.2). The
// access token must be kept secret.
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in,omitempty"`
}

// NonceResponse is the nonce endpoint's response (§7.2).
type NonceResponse struct {
	CNonce string `json:"c_nonce"`
}

// CredentialRequest is a Credential Request (§8.2) of this profile: its
// member set is closed.
type CredentialRequest struct {
	ConfigurationID string  `json:"credential_configuration_id"`
	Proofs          *Proofs `json:"proofs"`
}

// Proofs holds the key proofs of a [CredentialRequest]: one proof type,
// jwt, with exactly one proof JWT in this profile.
type Proofs struct {
	JWT []string `json:"jwt"`
}

// marshal encodes with encoding/json (deterministic, HTML-escaped), as
// every message of the profile is written.
func marshal(v any) ([]byte, error) { return json.Marshal(v) }
