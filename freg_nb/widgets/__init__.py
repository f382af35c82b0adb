"""ipywidgets forms for the notebooks. Each form only builds the parameters a papermill run would
pass, then calls the same public function the notebook's code cells call.

Labels are in Norwegian bokmål (the users' language).
"""
