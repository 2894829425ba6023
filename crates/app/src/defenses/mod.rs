//! One module per defense, each next to the weakness it replaces.
