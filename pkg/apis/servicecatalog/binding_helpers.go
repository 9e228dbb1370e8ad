package servicecatalog

// InstanceNamespace returns the namespace of the binding's instance: the one
// spec.instanceRef names, or the binding's own.
func (b *ServiceBinding) InstanceNamespace() string {
	if b.Spec.InstanceRef.Namespace != "" {
		return b.Spec.InstanceRef.Namespace
	}
	return b.Namespace
}

// SharesInstance reports whether the binding binds an instance of another namespace.
func (b *ServiceBinding) SharesInstance() bool {
	return b.InstanceNamespace() != b.Namespace
}
