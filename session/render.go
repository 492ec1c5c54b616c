package session

import "fmt"

// Render says which of the session's pages Chrome renders, running their
// scripts, and which it only fetches and reads as sent.
type Render int

const (
	// RenderAuto, the default, renders the login page and fetches the
	// rest (home, roster, logout) without rendering them. A roster page
	// without shifts, which a script may yet build or fill, is then
	// rendered from the bytes already fetched and read once its scripts
	// have settled.
	RenderAuto Render = iota
	// RenderAlways loads every page as a person's browser does: a
	// navigation with a document request and its headers, every script
	// run, and the roster read from the page as its scripts left it.
	RenderAlways
)

// String is the mode's name, as --render takes it.
func (r Render) String() string {
	switch r {
	case RenderAuto:
		return "auto"
	case RenderAlways:
		return "always"
	}
	return fmt.Sprintf("Render(%d)", int(r))
}

// ParseRender reads a mode's name: "auto" or "always".
func ParseRender(s string) (Render, error) {
	switch s {
	case "auto":
		return RenderAuto, nil
	case "always":
		return RenderAlways, nil
	}
	return 0, fmt.Errorf("unknown render mode %q: want auto or always", s)
}

// WithRender sets which pages the session renders (see Render); without
// it, RenderAuto.
func WithRender(mode Render) Option { return func(s *Session) { s.render = mode } }
