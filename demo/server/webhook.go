package main

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/rampart-go/rampart/webhook"
)

// webhookEvent is what the demo's moderation webhook accepts.
type webhookEvent struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// moderationWebhook receives signed events from an (imaginary) moderation
// service at POST /webhooks/moderation. webhook.New has already checked the
// HMAC signature, its timestamp window and replays before this runs, and
// left the body readable. With Redis, replays are refused across replicas.
func moderationWebhook(secrets [][]byte, replays webhook.ReplayStore, log *slog.Logger) (http.Handler, error) {
	verify, err := webhook.New(webhook.Options{Secrets: secrets, ReplayStore: replays, Logger: log})
	if err != nil {
		return nil, err
	}
	return verify(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev webhookEvent
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil || ev.Type == "" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"errors":[{"message":"malformed event","extensions":{"code":"BAD_REQUEST"}}]}`))
			return
		}
		log.InfoContext(r.Context(), "webhook received", "event_id", ev.ID, "event_type", ev.Type)
		_, _ = w.Write([]byte(`{"received":true}`))
	})), nil
}
