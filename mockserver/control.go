package mockserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/rosteron/rosteron/snapshot"
)

// ControlPath is where the control endpoint lives: outside any base path a
// RosterOn instance has, and never subject to faults, latency or the
// request log, so a test can change a server that is failing on purpose.
//
// It changes users and rosters over HTTP, for a server in another process
// or container (`rosteron mock`, docker-compose's mock service), with
// JSON bodies in the forms of the snapshot package:
//
//	GET  /_mock/users/{username}/roster    the roster served now: {"items":[…]}
//	PUT  /_mock/users/{username}/roster    replace it: {"items":[…]}
//	POST /_mock/users/{username}/changes   one RosterChange, such as
//	                                       {"op":"move","date":"2026-12-02","times":"09:00 - 17:30"};
//	                                       answers with the roster after it
//	PUT  /_mock/users/{username}           add or replace a user:
//	                                       {"password":"…","name":"…","roster":[…]}
//
// An unknown user or shift is a 404, a change that cannot be made a 400,
// each with a one-line text body saying why.
const ControlPath = "/_mock/"

// controlUser is a user as the control endpoint reads it.
type controlUser struct {
	Password string          `json:"password"`
	Name     string          `json:"name"`
	Roster   []snapshot.Item `json:"roster"`
}

// rosterBody is a roster as the control endpoint reads and writes it: a
// snapshot's JSON without the time.
type rosterBody struct {
	Items []snapshot.Item `json:"items"`
}

func (s *Server) controlMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+ControlPath+"users/{username}/roster", func(w http.ResponseWriter, r *http.Request) {
		items, err := s.Roster(r.PathValue("username"))
		s.controlReply(w, items, err)
	})
	mux.HandleFunc("PUT "+ControlPath+"users/{username}/roster", changeHandler(s, func(name string, body rosterBody) error {
		return s.SetRoster(name, body.Items)
	}))
	mux.HandleFunc("POST "+ControlPath+"users/{username}/changes", changeHandler(s, s.ChangeRoster))
	mux.HandleFunc("PUT "+ControlPath+"users/{username}", changeHandler(s, func(name string, u controlUser) error {
		return s.AddUser(User{Username: name, Password: u.Password, Name: u.Name, Roster: u.Roster})
	}))
	return mux
}

// changeHandler reads a request's JSON body, applies it with apply to the
// user the path names, and answers with that user's roster as it now is.
func changeHandler[T any](s *Server, apply func(username string, body T) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body T
		if !readJSON(w, r, &body) {
			return
		}
		name := r.PathValue("username")
		if err := apply(name, body); err != nil {
			s.controlReply(w, nil, err)
			return
		}
		items, err := s.Roster(name)
		s.controlReply(w, items, err)
	}
}

// isControl reports whether a request is for the control endpoint.
func isControl(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, ControlPath)
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		http.Error(w, fmt.Sprintf("reading the request body: %v", err), http.StatusBadRequest)
		return false
	}
	return true
}

// controlReply writes the roster after a change, or the change's error.
func (s *Server) controlReply(w http.ResponseWriter, items []snapshot.Item, err error) {
	switch {
	case errors.Is(err, ErrNoUser), errors.Is(err, ErrNoShift):
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	case err != nil:
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if items == nil {
		items = []snapshot.Item{}
	}
	data, err := json.Marshal(rosterBody{Items: items})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(append(data, '\n'))
}
