package eval

// WithoutBoundLeaves makes an Evaluator run every leaf on the general path
// (simpleLeaf, then expr), so that tests can check the bound leaves of
// fast.go against it.
func WithoutBoundLeaves() Option {
	return func(e *Evaluator) { e.noBinding = true }
}

// BoundLeaves counts the leaves and element predicates an Evaluator bound.
func (e *Evaluator) BoundLeaves() (leaves, preds int) {
	for _, f := range e.leaves {
		if f != nil {
			leaves++
		}
	}
	for _, f := range e.preds {
		if f != nil {
			preds++
		}
	}
	return leaves, preds
}
