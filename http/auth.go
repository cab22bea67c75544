package http

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
)

// Role is what a principal may do.
type Role string

// Roles. Reads are public; every write needs a bearer token whose principal has the right role.
const (
	// RoleGateway is the residents' gateway: the city's portal, which verifies residents and submits their
	// proposals, ballots and pledges, passing each resident's ID (never stored: see VoterKeys).
	RoleGateway Role = "gateway"
	// RoleModerator publishes and rejects proposals.
	RoleModerator Role = "moderator"
	// RoleAssessor scores proposals, as the registered assessor named by the token.
	RoleAssessor Role = "assessor"
	// RoleAdmin runs the cycle: opens it, advances phases, registers assessors, records allocations and
	// milestones. An admin may also do what moderators do.
	RoleAdmin Role = "admin"
	// RoleStore may append to the event store through the KurrentDB gRPC endpoint (serve --grpc-addr): the
	// credentials other pbledger servers sharing this store use. It may do nothing through the HTTP API.
	RoleStore Role = "store"
)

// Principal is an authenticated caller.
type Principal struct {
	// Name identifies the caller in every event's metadata, e.g. "almaty-portal".
	Name string `json:"name"`
	Role Role   `json:"role"`
	// Assessor is the assessor ID an assessor token acts as.
	Assessor string `json:"assessor,omitempty"`
}

// VoterKeys turns residents' IDs into pseudonymous voter keys with a keyed hash (HMAC-SHA-256). The secret is
// configured on the server and never written to the log, so the log alone cannot link a key to a resident,
// while the same resident always gets the same key for one purpose in one cycle (which is what makes "one
// ballot per resident" work). Key is the v1 derivation (one key everywhere); KeyFor chooses by the cycle's
// scheme, and Keyed makes the other keyed digests the log holds (privacy.go).
type VoterKeys struct {
	secret []byte
}

// NewVoterKeys returns a VoterKeys with the given secret, which must be at least 16 bytes.
func NewVoterKeys(secret []byte) (*VoterKeys, error) {
	if len(secret) < 16 {
		return nil, fmt.Errorf("voter key secret must be at least 16 bytes, got %d", len(secret))
	}
	return &VoterKeys{secret: append([]byte(nil), secret...)}, nil
}

// Key returns the voter key for a resident ID: "v" and 32 hex digits (128 bits of the HMAC).
func (k *VoterKeys) Key(residentID string) string {
	m := hmac.New(sha256.New, k.secret)
	m.Write([]byte("pbledger voter key v1\x00"))
	m.Write([]byte(residentID))
	return "v" + hex.EncodeToString(m.Sum(nil)[:16])
}

type principalKey struct{}

func withPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// principalFrom returns the authenticated principal of a request, if any.
func principalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// authenticate resolves the bearer token and checks the principal has one of roles. Admin may do anything.
func (s *Server) authenticate(r *http.Request, roles ...Role) (Principal, error) {
	h := r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(h, " ")
	if h == "" || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return Principal{}, errorf(codeUnauthorized, "this request needs an Authorization: Bearer token")
	}
	p, ok := s.tokens.Lookup(strings.TrimSpace(token))
	if !ok {
		return Principal{}, errorf(codeUnauthorized, "the bearer token is not valid")
	}
	if p.Role == RoleAdmin {
		return p, nil
	}
	for _, role := range roles {
		if p.Role == role {
			return p, nil
		}
	}
	return Principal{}, errorf("forbidden", "the token of %q has the role %s, which may not do this; it takes %s", p.Name, p.Role, rolesNeeded(roles))
}

// rolesNeeded names the roles that may do something, admin last and once: "an admin token", "a moderator
// or admin token".
func rolesNeeded(roles []Role) string {
	var names []string
	for _, r := range roles {
		if r != RoleAdmin {
			names = append(names, string(r))
		}
	}
	names = append(names, string(RoleAdmin))
	s := strings.Join(names, " or ")
	if strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s + " token"
	}
	return "a " + s + " token"
}
