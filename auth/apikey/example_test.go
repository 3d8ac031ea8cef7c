package apikey_test

import (
	"context"
	"fmt"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/apikey"
)

// Create an API key: show the key once, store only the record.
func ExampleNew() {
	store := &apikey.MemoryStore{}
	key, rec := apikey.New(apikey.Record{Subject: "user-42", Scopes: []string{"posts:read"}})
	store.Put(rec)

	a, _ := apikey.NewAuthenticator(store, apikey.Options{})
	p, err := a.Authenticate(context.Background(), auth.Credential{Kind: auth.CredentialAPIKey, Value: key})
	fmt.Println(len(key), key[:4], p.Subject, p.Method, p.Scopes, err)
	// Output:
	// 73 rpk_ user-42 apikey [posts:read] <nil>
}
