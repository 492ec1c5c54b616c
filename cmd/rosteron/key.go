package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rosteron/rosteron/store"
)

// Where the key of a multi-account store may come from: a file that is
// never in the state folder, so that a backup or a copy of the store never
// carries the key that opens its passwords.
const (
	// keyCredentialName is the systemd credential
	// (LoadCredential=rosteron-key:/etc/rosteron/key), found in
	// $CREDENTIALS_DIRECTORY.
	keyCredentialName = "rosteron-key"
	// keySecretName is the Docker or Compose secret, mounted at
	// /run/secrets/rosteron_key.
	keySecretName = "rosteron_key"
	// storeFile is the store's database in the --state folder.
	storeFile = "rosteron.db"
)

// keyUsage documents --key-file in the help texts.
const keyUsage = `  --key-file PATH     the key that seals the passwords, tokens and other
                      credentials in the store; made (0600) when it does
                      not exist yet, with a warning; refused when others
                      may read it (chmod 600 it). Never inside --state,
                      whose backups would carry it. Default: the systemd
                      credential rosteron-key
                      ($CREDENTIALS_DIRECTORY/rosteron-key), else the
                      Docker secret /run/secrets/rosteron_key
`

// keySources says, for the help texts, where the key is looked for.
const keySources = `The key is read from the first of: --key-file PATH (made, 0600, when it
does not exist yet); the systemd credential rosteron-key
($CREDENTIALS_DIRECTORY/rosteron-key, LoadCredential=); the Docker secret
/run/secrets/rosteron_key. Keep it apart from the store and its backups:
without it the passwords in the store are lost, and with it anyone who
has the store has them. It must not be inside --state.
`

// keyFile returns the file the key is to be read from, and whether the
// user named it (--key-file): only that one may be made. An error names
// the three sources when there is none.
func (c *cli) keyFile(cmd, flagFile string) (path string, named bool, err error) {
	path, named = c.secretFile(flagFile, keyCredentialName, keySecretName)
	if path == "" {
		dir := c.secretsDir
		if dir == "" {
			dir = defaultSecretsDir
		}
		return "", false, usagef(cmd, "no key for the store: give --key-file PATH (made when it does not exist), "+
			"the systemd credential %s ($CREDENTIALS_DIRECTORY/%s), or the Docker secret %s",
			keyCredentialName, keyCredentialName, filepath.Join(dir, keySecretName))
	}
	return path, named, nil
}

// loadKey returns the key of the store in stateDir: from --key-file, made
// there when it does not exist yet (create) with a warning, else from the
// systemd credential or the Docker secret. A key inside stateDir is
// refused, since the state folder's backups would carry it.
func (c *cli) loadKey(cmd, flagFile string, loc *storeLoc, create bool) (*store.Key, error) {
	stateDir := loc.dir
	path, named, err := c.keyFile(cmd, flagFile)
	if err != nil {
		return nil, err
	}
	if stateDir != "" { // "": a database's, with no state folder
		if err := keyOutsideState(cmd, path, stateDir); err != nil {
			return nil, err
		}
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, usagef(cmd, "the key file %s is a directory", path)
	}
	var key *store.Key
	created := false
	if named && create && !exists(path) {
		// A new key opens nothing sealed already: one made by mistake
		// (a --key-file mistyped) would seal new accounts apart from the
		// old ones.
		sealed, err := c.holdsSealedAt(loc)
		if err != nil {
			// Busy (a serve holds it) or unreadable: a new key is made
			// only for a store known to hold nothing sealed.
			return nil, fmt.Errorf("there is no key file %s, and the store in %s could not be read to see whether "+
				"it holds secrets sealed with a key (%w): give the key it was sealed with, or try again once it can be read",
				path, loc.where, err)
		}
		if sealed {
			return nil, usagef(cmd, "there is no key file %s, but the store in %s holds secrets sealed with a key: "+
				"give the key they were sealed with (a new one would open none of them)", path, loc.where)
		}
	}
	if named && create {
		key, created, err = store.LoadOrCreateKey(path)
	} else {
		key, err = store.LoadKey(path)
	}
	var mode *store.KeyFileModeError
	if errors.As(err, &mode) && key != nil {
		// Others may read it: refused, unless it is a systemd
		// credential or a Docker secret (often mounted 0444), whose
		// folders keep others out.
		if !c.inSecretsFolder(path) {
			return nil, usagef(cmd, "the key file %s has mode %04o: others than its owner may read it; "+
				"run 'chmod 600 %s' (or give it as the systemd credential %s or the Docker secret %s)",
				path, mode.Mode.Perm(), path, keyCredentialName, keySecretName)
		}
		err = nil
	}
	if err != nil {
		return nil, keyErr(cmd, path, err)
	}
	if created {
		c.errorf("warning: made a new key in %s: keep it apart from the store and its backups; "+
			"without it the passwords in the store are lost", path)
	}
	return key, nil
}

// keyErr says which key file failed, never what it holds.
func keyErr(cmd, path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return usagef(cmd, "no key file %s", path)
	}
	return fmt.Errorf("reading the key %s: %w", path, err)
}

// keyOutsideState refuses a key file inside the state folder (or the
// state folder itself), symbolic links followed where they exist.
func keyOutsideState(cmd, keyPath, stateDir string) error {
	k, err := realPath(keyPath)
	if err != nil {
		return fmt.Errorf("checking the key file %s: %w", keyPath, err)
	}
	s, err := realPath(stateDir)
	if err != nil {
		return fmt.Errorf("checking the state folder %s: %w", stateDir, err)
	}
	if rel, err := filepath.Rel(s, k); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return usagef(cmd, "the key file %s is inside the state folder %s: keep it elsewhere "+
			"(such as /etc/rosteron/key, or a systemd credential), since a backup or copy of the state folder "+
			"would carry the key to every password in it", keyPath, stateDir)
	}
	return nil
}

// realPath is path made absolute, with the symbolic links of its longest
// part that exists resolved: the rest does not exist yet.
func realPath(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	rest := ""
	for dir := abs; ; {
		if r, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(r, rest), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(dir), rest)
		dir = parent
	}
}

// keyFlags are the flags of the key and the state folder, which every
// command of a store takes.
type keyFlags struct {
	state   string
	keyFile string
}

func (k *keyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&k.state, "state", "", "")
	fs.StringVar(&k.keyFile, "key-file", "", "")
}

// stateDir is --state, else the default state folder.
func (k *keyFlags) stateDir(cmd string, getenv func(string) string) (string, error) {
	if k.state != "" {
		return k.state, nil
	}
	d, err := defaultStateDir(getenv)
	if err != nil {
		return "", usagef(cmd, "no --state and no $HOME for the default ~/.local/state/rosteron: name a folder with --state")
	}
	return d, nil
}

// openStore opens the store in dir, made 0700 as serve's state folder is,
// with key (nil for none: the store then opens no secret).
func (c *cli) openStore(ctx context.Context, dir string, key *store.Key) (store.Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the state folder: %w", err)
	}
	if was, err := secureStateDir(dir); err != nil {
		return nil, err
	} else if was != 0 {
		c.errorf("warning: the state folder %s was mode %04o, open to other users: made it 0700", dir, was)
	}
	st, err := store.Open(ctx, filepath.Join(dir, storeFile), key)
	if err != nil {
		return nil, fmt.Errorf("opening the store in %s: %w", dir, err)
	}
	if key != nil {
		// The key must open what the store holds: a wrong one is said
		// once, here, rather than by every account's refresh.
		if err := st.CheckKey(ctx); err != nil {
			st.Close()
			if errors.Is(err, store.ErrWrongKey) {
				return nil, fmt.Errorf("the key does not open the secrets of the store in %s: it is not the key they were "+
					"sealed with (after 'rosteron accounts rotate-key', give the new one)", dir)
			}
			return nil, fmt.Errorf("reading the store in %s: %w", dir, err)
		}
	}
	return st, nil // not a nil *store.SQLite in a non-nil interface
}

// holdsSealed reports whether the store of dir holds values sealed with
// a key: read without one. An error when the store exists but could not
// be read (busy, damaged): the caller cannot tell then.
func holdsSealed(dir string) (bool, error) {
	path := filepath.Join(dir, storeFile)
	if !exists(path) {
		return false, nil
	}
	st, err := store.Open(context.Background(), path, nil)
	if err != nil {
		return false, err
	}
	defer st.Close()
	err = st.CheckKey(context.Background())
	switch {
	case errors.Is(err, store.ErrNoKey):
		return true, nil
	case err == nil:
		return false, nil
	}
	return false, err
}

// inSecretsFolder says whether path is in $CREDENTIALS_DIRECTORY or the
// Docker secrets' folder (/run/secrets), whose files others cannot reach
// whatever their mode.
func (c *cli) inSecretsFolder(path string) bool {
	dir, err := realPath(filepath.Dir(path))
	if err != nil {
		return false
	}
	secrets := c.secretsDir
	if secrets == "" {
		secrets = defaultSecretsDir
	}
	for _, d := range []string{c.getenv("CREDENTIALS_DIRECTORY"), secrets} {
		if d == "" {
			continue
		}
		if r, err := realPath(d); err == nil && r == dir {
			return true
		}
	}
	return false
}
