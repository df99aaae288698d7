-- Gradcheck cases for the shape ops (to be written with their rules).
return {}
