package gqlsec

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/telemetry"
)

// DocumentStore is an immutable allowlist of GraphQL documents keyed by the
// lowercase hex SHA-256 of their text.
type DocumentStore struct {
	docs map[string]string
}

// NewDocumentStore returns a store of docs, keyed by SHA-256 hex (case
// insensitive). Each key is checked against its document: a mismatch is
// an error wrapping ErrManifest.
func NewDocumentStore(docs map[string]string) (*DocumentStore, error) {
	s := &DocumentStore{docs: make(map[string]string, len(docs))}
	for id, body := range docs {
		id = strings.ToLower(id)
		if got := Hash(body); got != id {
			return nil, fmt.Errorf("%w: document %q hashes to %s", ErrManifest, id, got)
		}
		s.docs[id] = body
	}
	return s, nil
}

// Hash returns the lowercase hex SHA-256 of a document, the key used by
// trusted documents and automatic persisted queries.
func Hash(document string) string {
	sum := sha256.Sum256([]byte(document))
	return hex.EncodeToString(sum[:])
}

// ParseManifest reads a trusted-documents manifest in either of two
// formats: Apollo's persisted-query manifest
//
//	{"format":"apollo-persisted-query-manifest","version":1,
//	 "operations":[{"id":"<sha256>","body":"query …","name":"…","type":"query"}]}
//
// or Relay's persisted-queries JSON {"<sha256>": "query …"} (configure
// Relay's compiler to use SHA-256). Every hash is verified against its
// document; a mismatch, an unknown format or version, or an empty manifest
// is an error wrapping ErrManifest.
func ParseManifest(data []byte) (*DocumentStore, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrManifest, err)
	}
	docs := make(map[string]string)
	if _, ok := probe["format"]; ok {
		var m struct {
			Format     string `json:"format"`
			Version    int    `json:"version"`
			Operations []struct {
				ID   string `json:"id"`
				Body string `json:"body"`
			} `json:"operations"`
		}
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrManifest, err)
		}
		if m.Format != "apollo-persisted-query-manifest" || m.Version != 1 {
			return nil, fmt.Errorf("%w: unsupported format %q version %d", ErrManifest, m.Format, m.Version)
		}
		for _, op := range m.Operations {
			docs[op.ID] = op.Body
		}
	} else {
		for id, raw := range probe {
			var body string
			if err := json.Unmarshal(raw, &body); err != nil {
				return nil, fmt.Errorf("%w: entry %q is not a string", ErrManifest, id)
			}
			docs[id] = body
		}
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("%w: no operations", ErrManifest)
	}
	return NewDocumentStore(docs)
}

// Lookup returns the document whose SHA-256 hex is hash.
func (s *DocumentStore) Lookup(hash string) (string, bool) {
	d, ok := s.docs[strings.ToLower(hash)]
	return d, ok
}

// Len returns the number of documents in s.
func (s *DocumentStore) Len() int { return len(s.docs) }

// TrustedDocuments is a gqlgen extension that runs only documents from an
// allowlist (persisted queries / trusted documents). A request may send the
// hash alone in extensions.persistedQuery.sha256Hash (the APQ shape; the
// extension fills in the document) or a full document whose hash is in
// the store. Unknown hashes are refused with PERSISTED_QUERY_NOT_FOUND,
// unknown documents with PERSISTED_QUERY_REQUIRED, and a hash sent with a
// document it does not match with PERSISTED_QUERY_HASH_MISMATCH, all
// before parsing. Unlike gqlgen's AutomaticPersistedQuery it never
// registers new documents; do not use both.
type TrustedDocuments struct {
	// Store holds the allowed documents. Required.
	Store *DocumentStore
	// AllowArbitrary, if set, lets the callers it accepts send documents
	// that are not in the store (for example admins using an IDE). Nil
	// allows nobody.
	AllowArbitrary func(*auth.Principal) bool
	// Logger receives one audit record per rejection. Nil discards them.
	Logger *slog.Logger
	// Mode: the zero value rampart.Enforce refuses documents outside the
	// store; rampart.Measure runs them but counts and logs (with the
	// request id) PERSISTED_QUERY_REQUIRED and _HASH_MISMATCH; rampart.Off
	// skips the check. A hash alone that is not in the store is always
	// PERSISTED_QUERY_NOT_FOUND: there is no document to run.
	Mode rampart.Mode
	// Telemetry counts rejections (guard telemetry.GuardTrustedDocuments)
	// and opens a span per evaluation. Nil records nothing.
	Telemetry *telemetry.Instruments
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = (*TrustedDocuments)(nil)

// ExtensionName implements graphql.HandlerExtension.
func (t *TrustedDocuments) ExtensionName() string { return "RampartTrustedDocuments" }

// Validate implements graphql.HandlerExtension.
func (t *TrustedDocuments) Validate(graphql.ExecutableSchema) error {
	if t.Store == nil {
		return fmt.Errorf("%w: gqlsec: TrustedDocuments.Store is required", rampart.ErrConfig)
	}
	if !t.Mode.Valid() {
		return fmt.Errorf("%w: gqlsec: TrustedDocuments.Mode = %v", rampart.ErrConfig, t.Mode)
	}
	return nil
}

// MutateOperationParameters implements graphql.OperationParameterMutator.
func (t *TrustedDocuments) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	hash := persistedHash(params.Extensions)
	ctx, span := t.Telemetry.Start(ctx, telemetry.GuardTrustedDocuments)
	defer span.End()
	aud := auditor{logger: t.Logger, ins: t.Telemetry, guard: telemetry.GuardTrustedDocuments, mode: t.Mode}
	if params.Query == "" {
		if hash == "" {
			return nil // gqlgen reports "no operation provided"
		}
		doc, ok := t.Store.Lookup(hash)
		if !ok {
			aud.mode = rampart.Enforce // nothing to run: never measured
			return aud.reject(ctx, params.OperationName, rejection{code: CodePersistedNotFound, message: "PersistedQueryNotFound"})
		}
		params.Query = doc
		return nil
	}
	if t.Mode == rampart.Off {
		return nil
	}
	h := Hash(params.Query)
	if hash != "" && !strings.EqualFold(hash, h) {
		if e := aud.reject(ctx, params.OperationName, rejection{code: CodePersistedMismatch, message: "provided sha256Hash does not match the query"}); e != nil {
			return e
		}
	}
	if _, ok := t.Store.Lookup(h); ok {
		return nil
	}
	if t.AllowArbitrary != nil && t.AllowArbitrary(principal(ctx)) {
		return nil
	}
	return aud.reject(ctx, params.OperationName, rejection{code: CodePersistedRequired, message: "only trusted documents may be executed"})
}

func persistedHash(ext map[string]any) string {
	pq, _ := ext["persistedQuery"].(map[string]any)
	h, _ := pq["sha256Hash"].(string)
	return h
}
