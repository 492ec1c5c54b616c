package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rosteron/rosteron/feed"
	"github.com/rosteron/rosteron/snapshot"
	"github.com/rosteron/rosteron/store"
)

// stateStoreFile is the store in the --state folder: the same file, and
// the same kind, as serve --accounts and 'rosteron accounts' keep there.
// The single-account serve opens it without a key, since it keeps no
// password in it: the password comes from the flags at each start.
const stateStoreFile = "rosteron.db"

// migratedFiles are the files a state folder of a rosteron from before
// the store kept, which openStateStore moves into it, in this order.
var migratedFiles = []string{feed.StateFile, feed.CalendarFile, feed.GuardFile, feed.NotifyFile}

// openStateStore opens the state folder's store without a key, finds the
// flags' account in it or makes it, and moves into it the files an
// earlier rosteron kept in the folder. A store holding the account of
// another user or instance is refused untouched: a mistyped --username or
// --url must not erase the real account's roster, calendar event history
// and lock-out stop. A store with more than one account, or one whose
// account holds sealed secrets, is a multi-account serve's, and is
// refused untouched too.
func (c *cli) openStateStore(ctx context.Context, sv *server) error {
	cfg := sv.cfg
	// One serve per state folder: a second would refresh the same
	// account and take up the first's refresh as an orphan.
	unlock, err := lockFile(filepath.Join(cfg.stateDir, lockName))
	if errors.Is(err, errLocked) {
		return fmt.Errorf("another 'rosteron serve' is running on %s (it holds %s): one serve per state folder",
			cfg.stateDir, filepath.Join(cfg.stateDir, lockName))
	}
	if err != nil {
		return err
	}
	path := filepath.Join(cfg.stateDir, stateStoreFile)
	st, err := store.Open(ctx, path, nil)
	if err != nil {
		unlock()
		return err
	}
	sv.store = st
	sv.unlock = unlock
	if sv.account, err = c.singleAccount(ctx, sv, path); err == nil {
		err = c.migrateStateFiles(ctx, sv, path)
	}
	if err != nil {
		_ = st.Close()
		sv.store = nil
		sv.unlock = nil
		unlock()
		return err
	}
	return nil
}

// singleAccount returns the flags' account in the store, made if need
// be; an error, changing nothing, when the store holds another's.
func (c *cli) singleAccount(ctx context.Context, sv *server, path string) (*store.Account, error) {
	cfg := sv.cfg
	st := sv.store
	username := cfg.flow.username
	zone := ""
	if cfg.loc != nil && cfg.loc != snapshot.Floating {
		zone = cfg.loc.String()
	}
	all, err := st.List(ctx)
	if err != nil {
		return nil, err
	}
	if len(all) > 1 {
		return nil, fmt.Errorf("%s holds %d accounts: it is a multi-account serve's (serve --accounts), which a single-account serve must not change; "+
			"give --state a folder of its own, or serve it with --accounts", path, len(all))
	}
	// A store made without a key holds nothing sealed; CheckKey finds
	// what one made with a key sealed.
	if err := st.CheckKey(ctx); errors.Is(err, store.ErrNoKey) {
		return nil, fmt.Errorf("%s holds sealed secrets, made with a key: it is a multi-account serve's (serve --accounts), which a single-account serve must not change; "+
			"give --state a folder of its own, or serve it with --accounts", path)
	} else if err != nil {
		return nil, err
	}
	var mine *store.Account
	for _, a := range all {
		// As the feed matches a saved roster to its source: the same
		// instance, and the username in any case.
		if strings.TrimRight(a.Instance, "/") == strings.TrimRight(sv.normURL, "/") && strings.EqualFold(a.Username, username) {
			mine = a
			continue
		}
		return nil, fmt.Errorf("%s holds the state of %s at %s, not of this serve's account (%s at %s), and a single-account serve keeps one: "+
			"it changed nothing, so as not to erase that account's saved roster, calendar event history and lock-out stop. "+
			"If --username or --url is mistyped, correct it; to serve both, give this one --state a folder of its own; "+
			"to start afresh, delete %s and its -wal and -shm files (the state of %s goes with them)",
			path, a.Username, a.Instance, username, sv.normURL, path, a.Username)
	}
	if mine == nil {
		a, _, err := st.Create(ctx, store.NewAccount{Username: username, Instance: sv.normURL, Zone: zone, Token: sv.token})
		if err != nil {
			return nil, err
		}
		return a, nil
	}
	if mine.Zone != zone {
		if err := st.SetZone(ctx, mine.ID, zone); err != nil {
			return nil, err
		}
		mine.Zone = zone
	}
	return mine, nil
}

// migrateStateFiles moves each of migratedFiles that the state folder
// holds into the account's state in the store, then removes the file.
// One the store holds already is removed only: the store's is the later,
// since no rosteron writes these files once the store is there. A file is
// moved as it is, even one that does not parse: the feed's load warns of
// it as it always has. One line says what was moved, when anything was.
func (c *cli) migrateStateFiles(ctx context.Context, sv *server, path string) error {
	dir := sv.cfg.stateDir
	var moved, dropped []string
	for _, name := range migratedFiles {
		file := filepath.Join(dir, name)
		data, err := os.ReadFile(file)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("moving %s into %s: %w", file, path, err)
		}
		_, err = sv.store.LoadBlob(ctx, sv.account.ID, name)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if err := sv.store.SaveBlob(ctx, sv.account.ID, name, data); err != nil {
				return fmt.Errorf("moving %s into %s: %w", file, path, err)
			}
			moved = append(moved, name)
		case err != nil:
			return fmt.Errorf("moving %s into %s: %w", file, path, err)
		default:
			dropped = append(dropped, name)
		}
		if err := os.Remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing %s, moved into %s: %w", file, path, err)
		}
	}
	var parts []string
	if len(moved) > 0 {
		parts = append(parts, fmt.Sprintf("moved %s into %s", strings.Join(moved, ", "), path))
	}
	if len(dropped) > 0 {
		parts = append(parts, fmt.Sprintf("removed %s, which %s holds already", strings.Join(dropped, ", "), path))
	}
	if len(parts) > 0 {
		fmt.Fprintf(c.stderr, "rosteron serve: %s\n", strings.Join(parts, "; "))
	}
	return nil
}
