// Package gqlws adapts package wssec to gqlgen's WebSocket transport: a
// [Transport] is a transport.WebsocketImplementation whose connections carry
// every wssec guard (origin allowlist, handshake or connection_init
// authentication, init timeout, message size and rate limits, connection
// caps, credential expiry, keepalive), plus an InitFunc that puts the
// authenticated auth.Principal in the resolvers' context.
//
// gqlgen's own protocol handling closes most violations with 1000 or 1002;
// Transport checks every incoming graphql-transport-ws message itself, before
// gqlgen sees it, so that the client receives the codes the protocol
// defines: 4400 malformed message, 4401 subscribe before connection_ack,
// 4403 refused credential, 4408 no connection_init within the init timeout,
// 4409 duplicate subscription id, 4429 second connection_init. Only the
// graphql-transport-ws subprotocol is served; a client that does not offer it
// (such as the legacy subscriptions-transport-ws "graphql-ws") is refused
// with 400 before the upgrade.
//
// The connection_init credential may come in any of the shapes GraphQL
// clients send (see CredentialFromInitPayload): "Authorization",
// "authorization", "token", "authToken", "accessToken", "apiKey", or
// "headers" holding Authorization or X-API-Key. The same credential under
// several keys is one credential; two different ones close with 4403.
//
// Use it through Transport.Websocket:
//
//	t, err := gqlws.New(gqlws.Options{Options: wssec.Options{Authenticator: verifier}})
//	srv.AddTransport(t.Websocket())
package gqlws
