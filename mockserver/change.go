package mockserver

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rosteron/rosteron/snapshot"
)

// A roster changes while the server runs, as a real one does when a
// manager moves a shift: ChangeRoster and SetRoster change a user's
// roster from the next request on, and the control endpoint (see
// control.go) does the same over HTTP for a server in another process.
//
// A changed roster is fixed: a default user's roster, which follows the
// server's clock, is taken as it stands today and then changed.

// ErrNoUser is matched by the error of a change to a user the server does
// not have.
var ErrNoUser = errors.New("mockserver: no such user")

// ErrNoShift is matched by the error of a change naming a shift the
// roster does not have.
var ErrNoShift = errors.New("mockserver: no such shift")

// ErrBadChange is matched by the error of a change that cannot be made as
// given, such as an unknown Op or an added shift without a date.
var ErrBadChange = errors.New("mockserver: invalid roster change")

// ChangeOp is what a RosterChange does.
type ChangeOp string

// The roster changes. The strings are the control endpoint's forms.
const (
	// OpMove gives a shift new times, a new date, or both.
	OpMove ChangeOp = "move"
	// OpAdd adds a shift, after the others of its date.
	OpAdd ChangeOp = "add"
	// OpRemove removes a shift.
	OpRemove ChangeOp = "remove"
	// OpWarn adds a warning to a shift.
	OpWarn ChangeOp = "warn"
)

// RosterChange is one change to a user's roster. Move, remove and warn
// name their shift by Date and Index: the Index-th shift (from 0) of those
// on Date, in page order.
type RosterChange struct {
	Op    ChangeOp      `json:"op"`
	Date  snapshot.Date `json:"date,omitzero"`
	Index int           `json:"index,omitempty"`
	// To is a moved shift's new date; nil keeps its date.
	To *snapshot.Date `json:"to,omitempty"`
	// Times is a moved shift's new first detail, as a roster writes it
	// ("09:00 - 17:30", "Oncall (20:30 - 08:30)"); "" keeps it.
	Times string `json:"times,omitempty"`
	// Item is the shift OpAdd adds.
	Item *snapshot.Item `json:"item,omitempty"`
	// Warning is the text OpWarn adds, such as "BLOGGS, JOE: Allocation
	// for overtime".
	Warning string `json:"warning,omitempty"`
}

// ChangeRoster makes one change to the roster of the user named (in any
// case), from the next request on. A change that cannot be made leaves
// the roster as it was; its error matches ErrNoUser, ErrNoShift or
// ErrBadChange.
func (s *Server) ChangeRoster(username string, c RosterChange) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.accountIndex(username)
	if !ok {
		return fmt.Errorf("%w: %q", ErrNoUser, username)
	}
	items, err := applyChange(s.accounts[i].roster(s.clock()), c)
	if err != nil {
		return err
	}
	s.accounts[i].roster = fixed(items)
	return nil
}

// SetRoster replaces the user's roster by a copy of items.
func (s *Server) SetRoster(username string, items []snapshot.Item) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.accountIndex(username)
	if !ok {
		return fmt.Errorf("%w: %q", ErrNoUser, username)
	}
	s.accounts[i].roster = fixed(copyItems(items))
	return nil
}

// Roster returns a copy of the roster the user is served now.
func (s *Server) Roster(username string) ([]snapshot.Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.accountIndex(username)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNoUser, username)
	}
	return copyItems(s.accounts[i].roster(s.clock())), nil
}

// AddUser adds a user, or replaces the one of the same name (in any case)
// and its roster; the sessions of a replaced user stay logged in. It lets
// a test that shares a server with others have an account of its own.
func (s *Server) AddUser(u User) error {
	if strings.TrimSpace(u.Username) == "" || u.Password == "" {
		return fmt.Errorf("%w: a user needs a username and a password", ErrBadChange)
	}
	a := account{user: u, roster: fixed(copyItems(u.Roster))}
	a.user.Roster = nil
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.accountIndex(u.Username); ok {
		s.accounts[i] = a
		return nil
	}
	s.accounts = append(s.accounts, a)
	return nil
}

// accountIndex finds a user by name, in any case, as logging in and the
// roster changes do; s.mu is held.
func (s *Server) accountIndex(username string) (int, bool) {
	for i, a := range s.accounts {
		if strings.EqualFold(a.user.Username, username) {
			return i, true
		}
	}
	return 0, false
}

// fixed is a roster that no longer follows the clock. items is never
// changed after: each change makes a new slice, so a page being written
// from the old one is unaffected.
func fixed(items []snapshot.Item) func(time.Time) []snapshot.Item {
	return func(time.Time) []snapshot.Item { return items }
}

// applyChange returns a changed copy of items.
func applyChange(items []snapshot.Item, c RosterChange) ([]snapshot.Item, error) {
	switch c.Op {
	case OpMove, OpAdd, OpRemove, OpWarn:
	default:
		return nil, fmt.Errorf("%w: unknown op %q (want move, add, remove or warn)", ErrBadChange, c.Op)
	}
	out := copyItems(items)
	if c.Op == OpAdd {
		if c.Item == nil || !c.Item.Date.Valid() {
			return nil, fmt.Errorf("%w: add needs an item with a valid date", ErrBadChange)
		}
		return insertByDate(out, copyItems([]snapshot.Item{*c.Item})[0]), nil
	}
	at, err := find(out, c.Date, c.Index)
	if err != nil {
		return nil, err
	}
	switch c.Op {
	case OpRemove:
		return slices.Delete(out, at, at+1), nil
	case OpWarn:
		if strings.TrimSpace(c.Warning) == "" {
			return nil, fmt.Errorf("%w: warn needs a warning", ErrBadChange)
		}
		out[at].Warnings = append(out[at].Warnings, c.Warning)
		return out, nil
	}
	// What is left is OpMove.
	if c.To == nil && c.Times == "" {
		return nil, fmt.Errorf("%w: move needs new times, a new date or both", ErrBadChange)
	}
	if c.To != nil && !c.To.Valid() {
		return nil, fmt.Errorf("%w: move to an invalid date", ErrBadChange)
	}
	it := out[at]
	if c.Times != "" {
		if len(it.Detail) == 0 {
			it.Detail = []snapshot.Field{snapshot.Text(c.Times)}
		} else {
			it.Detail[0] = snapshot.Text(c.Times)
		}
	}
	if c.To == nil {
		out[at] = it
		return out, nil
	}
	it.Date = *c.To
	return insertByDate(slices.Delete(out, at, at+1), it), nil
}

// find returns the position of the index-th item dated d.
func find(items []snapshot.Item, d snapshot.Date, index int) (int, error) {
	n := 0
	for i, it := range items {
		if it.Date != d {
			continue
		}
		if n == index {
			return i, nil
		}
		n++
	}
	return 0, fmt.Errorf("%w: shift %d of %s (the roster has %d that day)", ErrNoShift, index, d, n)
}

// insertByDate puts it after the last item dated on or before its date,
// so that a roster in date order stays in date order.
func insertByDate(items []snapshot.Item, it snapshot.Item) []snapshot.Item {
	at := len(items)
	for i := len(items) - 1; i >= 0; i-- {
		if !items[i].Date.After(it.Date) {
			at = i + 1
			break
		}
		at = i
	}
	return slices.Insert(items, at, it)
}
