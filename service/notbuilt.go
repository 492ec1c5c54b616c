package service

import "errors"

// errNotBuilt marks the contract's placeholders, replaced as each part
// lands. This file goes when the service is built.
var errNotBuilt = errors.New("service: not built yet")
