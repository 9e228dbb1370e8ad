package catalogstack

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
)

// Kubectl runs kubectl (kubecluster.FindKubectl) as the cluster user or
// component user with args, and returns its stdout. A failed run's error
// carries the command and its stderr.
func (s *Stack) Kubectl(ctx context.Context, user string, args ...string) (string, error) {
	return s.KubectlWithInput(ctx, user, nil, args...)
}

// KubectlWithInput is Kubectl with stdin read from in (nil for none).
func (s *Stack) KubectlWithInput(ctx context.Context, user string, in io.Reader, args ...string) (string, error) {
	cmd, err := s.Cluster.KubectlCommand(ctx, user, args...)
	if err != nil {
		return "", err
	}
	var out, errOut bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = in, &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("kubectl %s (as %s): %w\n%s", strings.Join(args, " "), user, err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}
