//go:build !unix

package catalogstack

// lockFile does nothing outside Unix: concurrent builds into one directory
// are not serialized there.
func lockFile(string) (unlock func(), err error) { return func() {}, nil }
