-- Gradcheck cases for the linalg ops (to be written with their rules).
return {}
